#!/usr/bin/env python3
"""Import quality on real documents: titles, dates, crashes, refusals and body text.

What it measures
----------------
Every document of ``tests/fixtures/real/`` (real pages kept by extraction projects, and the
visible text of some of them as a scraper saves it; see PROVENANCE.md there) is imported with
digest.ingest.importer.make_brief, in memory, and compared with what ``labels.json`` says the document
states:

    titles      the brief's title equals the document's headline (quotes, dashes and spaces
                normalised; capitals count)
    dates       the brief's date is the publication date the document states (only documents
                that state one)
    key points  every key point of the brief is a sentence of the source, word for word (the
                source's own key points, or sentences chosen from its text)
    crashes     an exception other than a reported content error
    refusals    a content error: the document was not imported
    body F1     for the pages with a hand-made ground truth of the article's text: token F1 of
                the brief's summary and body against it, beside trafilatura.extract alone

``--json`` prints the figures and every document's result as JSON (the test
tests/test_import_quality.py reads it); ``--no-baseline`` skips trafilatura alone.
Standard library, digest and trafilatura only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import re
import sys
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from digest.build.entry import open_config  # noqa: E402
from digest.content.frontmatter import split  # noqa: E402
from digest.content.taxonomy import load_taxonomy  # noqa: E402
from digest.core.errors import ContentError  # noqa: E402
from digest.ingest.importer import ImportContext, make_brief  # noqa: E402
from digest.ingest.prose import plain  # noqa: E402

REAL = REPO / "tests" / "fixtures" / "real"
DAY = dt.date(2000, 1, 1)  # the "file time": never a date a document states
_FOLD = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00a0": " "})


def same_title(found: str, expected: str) -> bool:
    return " ".join(found.translate(_FOLD).split()) == " ".join(expected.translate(_FOLD).split())


def _words(text: str) -> str:
    """Text as its words with single spaces (markup, entities and punctuation left out), to find
    one text in another."""
    text = re.sub(r"</?(?:span|a|i|b|em|strong|small|abbr|mark|font)\b[^>]*>", "", text)  # inside words: drop caps
    text = html.unescape(html.unescape(re.sub(r"<[^>]+>", " ", text)))
    return " ".join(re.findall(r"[^\W_]+", text.casefold()))


def tokens(text: str) -> Counter[str]:
    return Counter(w.casefold() for w in re.findall(r"\w+", text))


def f1(found: str, expected: str) -> float:
    got, want = tokens(found), tokens(expected)
    common = sum((got & want).values())
    if not common:
        return 0.0
    precision, recall = common / sum(got.values()), common / sum(want.values())
    return 2 * precision * recall / (precision + recall)


def evaluate(baseline: bool = True) -> dict[str, Any]:
    labels: dict[str, dict[str, Any]] = json.loads((REAL / "labels.json").read_text(encoding="utf-8"))
    config = open_config(REPO)
    context = ImportContext.create(config, load_taxonomy(REPO, config.taxonomy))
    results = []
    for name, label in labels.items():
        data = (REAL / name).read_bytes()
        result: dict[str, Any] = {"file": name, "kind": label["kind"], "expected_title": label["title"]}
        try:
            made = make_brief(data, name, name, context, DAY)
        except ContentError as exc:
            result["refused"] = str(exc.problems[0])
            results.append(result)
            continue
        except Exception:  # noqa: BLE001 (a crash is a figure here, not an end)
            result["crashed"] = traceback.format_exc(limit=3)
            results.append(result)
            continue
        doc = split(made.text)
        meta = doc.meta.data
        result.update(title=meta["title"], title_right=same_title(meta["title"], label["title"]))
        result.update(date=made.date, date_from=made.date_from, review=list(meta.get("review", [])))
        source_text = _words(data.decode("utf-8", "replace"))
        result["points_verbatim"] = all(_words(plain(p).rstrip("…")) in source_text for p in meta["key_points"])
        if label["dates"]:
            result["expected_dates"] = label["dates"]
            result["date_right"] = made.date in label["dates"]
        if "body" in label:
            result["body_f1"] = round(f1(meta["summary"] + "\n" + plain(doc.body), label["body"]), 4)
            if baseline:
                import trafilatura

                alone = trafilatura.extract(data.decode("utf-8", "replace")) or ""
                result["trafilatura_f1"] = round(f1(alone, label["body"]), 4)
        results.append(result)
    return {"figures": figures(results), "results": results}


def figures(results: list[dict[str, Any]]) -> dict[str, Any]:
    imported = [r for r in results if "title" in r]
    dated = [r for r in imported if "date_right" in r]
    bodies = [r for r in imported if "body_f1" in r]
    out: dict[str, Any] = {
        "documents": len(results),
        "titles_right": sum(r["title_right"] for r in imported),
        "dated": len(dated) + sum(1 for r in results if "title" not in r),
        "dates_right": sum(r["date_right"] for r in dated),
        "points_verbatim": sum(r["points_verbatim"] for r in imported),
        "crashes": sum("crashed" in r for r in results),
        "refusals": sum("refused" in r for r in results),
        "bodies": len(bodies),
        "body_f1": round(sum(r["body_f1"] for r in bodies) / len(bodies), 4) if bodies else None,
    }
    if bodies and all("trafilatura_f1" in r for r in bodies):
        out["trafilatura_f1"] = round(sum(r["trafilatura_f1"] for r in bodies) / len(bodies), 4)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the figures and every result as JSON")
    parser.add_argument("--no-baseline", action="store_true", help="skip trafilatura alone")
    parser.add_argument("--wrong", action="store_true", help="list the documents whose title or date is wrong")
    args = parser.parse_args()
    report = evaluate(baseline=not args.no_baseline)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
        return
    f = report["figures"]
    print(f"documents            {f['documents']}")
    print(f"titles right         {f['titles_right']} of {f['documents']}")
    print(f"dates right          {f['dates_right']} of {f['dated']} that state one")
    print(
        f"key points verbatim  {f['points_verbatim']} of {len([r for r in report['results'] if 'title' in r])} briefs"
    )
    print(f"crashes, refusals    {f['crashes']}, {f['refusals']}")
    if f["bodies"]:
        alone = f" (trafilatura alone {f['trafilatura_f1']:.3f})" if "trafilatura_f1" in f else ""
        print(f"body token F1        {f['body_f1']:.3f} on {f['bodies']} pages{alone}")
    if args.wrong:
        for r in report["results"]:
            if "title" not in r:
                print(f"  {r['file']}: {(r.get('refused') or r.get('crashed', '')).strip()}")
                continue
            if not r["title_right"]:
                print(f"  {r['file']}: title {r['title']!r}, expected {r['expected_title']!r}")
            if not r["points_verbatim"]:
                print(f"  {r['file']}: a key point is not a sentence of the source")
            if r.get("date_right") is False:
                print(f"  {r['file']}: date {r['date']} ({r['date_from']}), expected {r['expected_dates']}")


if __name__ == "__main__":
    main()
