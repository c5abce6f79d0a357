#!/usr/bin/env python3
"""Import benchmark: documents per second for scraped-text and HTML sources.

What it measures
----------------
``--n`` documents of each format (default 500) are generated under ``--work`` (default
/tmp/digest-import-bench), seeded, from invented sentences that name tags of the repository's
own taxonomy: scraped-text articles in the layout of the shared sample (title line with
navigation, lead, `Key points:`, body; every fifth one without key points, so key points are
generated) and HTML pages (navigation, an ad, an article with a key-takeaways list, comments, a
footer, metadata). For each format, two figures, each the best of ``--repeat`` runs (default 3):

    make      digest.ingest.importer.make_brief over every document in memory: extraction, tags,
              key points, front matter and validation; no file system
    import    digest.ingest.importer.import_sources on the folder into a fresh site: the same, plus
              finding, reading and writing the files (a cold import: every brief is created)

Wall time is time.perf_counter() around each run, in this process. Standard library and
digest only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from digest.build.entry import open_config  # noqa: E402
from digest.content.taxonomy import load_taxonomy  # noqa: E402
from digest.ingest.importer import ImportContext, ImportOptions, import_sources, make_brief  # noqa: E402

NAMES = ["China", "the United States", "the EU", "Nvidia", "Huawei", "DeepSeek", "Japan", "TSMC", "the UK", "Baidu"]
TOPICS = ["export controls", "AI chips", "data centres", "the AI Act", "open-weight models", "HBM", "subsidies"]
VERBS = ["announced", "proposed", "delayed", "expanded", "reviewed", "criticised", "welcomed", "tightened"]
NOUNS = ["rules", "a licence regime", "new funding", "a consultation", "a testing lab", "a register", "quotas"]


def sentence(rng: random.Random) -> str:
    words = [rng.choice(NAMES), rng.choice(VERBS), rng.choice(NOUNS), "on", rng.choice(TOPICS)]
    words += rng.sample(["after", "talks", "with", "industry", "groups", "this", "week", "officials", "said"], 5)
    return " ".join(words)[0].upper() + " ".join(words)[1:] + "."


def paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(sentence(rng) for _ in range(sentences))


def text_document(rng: random.Random, index: int) -> str:
    title = f"{rng.choice(NAMES).removeprefix('the ').title()} {rng.choice(VERBS).title()} Plan Number {index}"
    lines = [f"{title} | Home | World | Technology | Policy | Bench Wire", paragraph(rng, 2)]
    if index % 5:
        lines.append("Key points:")
        lines += [f"- {sentence(rng)}" for _ in range(rng.randint(2, 5))]
    lines += [paragraph(rng, rng.randint(2, 5)) for _ in range(rng.randint(3, 8))]
    return "\n".join(lines) + "\n"


def html_document(rng: random.Random, index: int) -> str:
    title = f"{rng.choice(NAMES).removeprefix('the ').title()} {rng.choice(VERBS).title()} Page Number {index}"
    points = "".join(f"<li>{sentence(rng)}</li>" for _ in range(3))
    body = "".join(f"<p>{paragraph(rng, rng.randint(2, 5))}</p>" for _ in range(rng.randint(3, 8)))
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title} | Bench Times</title>'
        f'<meta property="og:site_name" content="Bench Times"><meta name="author" content="A. Writer">'
        f'<meta property="article:published_time" content="2025-0{1 + index % 9}-1{index % 10}T08:00:00Z">'
        f'<link rel="canonical" href="https://bench.example.org/{index}"><script>var t = 1;</script></head><body>'
        f'<nav><a href="/">Home</a> <a href="/world">World</a></nav><div class="ad">Buy now!</div>'
        f"<article><h1>{title}</h1><p>{paragraph(rng, 2)}</p><h2>Key takeaways</h2><ul>{points}</ul>{body}</article>"
        f'<section class="comments"><p>First comment!</p></section><footer>© 2025 Bench Times</footer></body></html>'
    )


def timed(run: Callable[[], None], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=500, help="documents of each format (default 500)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement; the best counts")
    parser.add_argument("--work", type=Path, default=Path("/tmp/digest-import-bench"))
    args = parser.parse_args()

    shutil.rmtree(args.work, ignore_errors=True)
    rng = random.Random(5)
    docs = {
        "text": [(f"doc{i:05}.txt", text_document(rng, i)) for i in range(args.n)],
        "html": [(f"page{i:05}.html", html_document(rng, i)) for i in range(args.n)],
    }
    for kind, items in docs.items():
        folder = args.work / "sources" / kind
        folder.mkdir(parents=True)
        for name, text in items:
            (folder / name).write_text(text, encoding="utf-8")

    site = args.work / "site"
    (site / "content").mkdir(parents=True)
    shutil.copy(REPO / "content" / "tags.yaml", site / "content" / "tags.yaml")
    config = open_config(site)
    taxonomy = load_taxonomy(site, config.taxonomy)
    context = ImportContext.create(config, taxonomy)

    print(f"{args.n} documents of each format, best of {args.repeat}")
    print(f"{'format':<6} {'make (docs/s)':>14} {'import (docs/s)':>16}  bytes/doc")
    for kind, items in docs.items():
        encoded = [(name, text.encode("utf-8")) for name, text in items]

        def make(encoded: list[tuple[str, bytes]] = encoded) -> None:
            for name, data in encoded:
                make_brief(data, name, name, context, dt.date(2025, 1, 1))

        def cold_import(kind: str = kind) -> None:
            shutil.rmtree(site / "content" / "briefs", ignore_errors=True)
            options = ImportOptions(site / "content" / "briefs")
            report = import_sources(config, taxonomy, [str(args.work / "sources" / kind)], options)
            assert report.counts()["created"] == args.n, report.counts()

        make_time = timed(make, args.repeat)
        import_time = timed(cold_import, args.repeat)
        size = sum(len(data) for _, data in encoded) // len(encoded)
        print(f"{kind:<6} {args.n / make_time:>14,.0f} {args.n / import_time:>16,.0f}  {size:,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
