"""digest writes Pagefind's index itself (digest.search.words, segment, bundle): for the same
search documents, it must hold what Pagefind's own indexer writes, word for word, position for
position, or a reader's search would find and rank other briefs than Pagefind would.

Each test runs the installed Pagefind binary over a folder of documents and compares both
indexes decoded: every page's fragment (what a result shows) and word count, every word's
positions, weights and metadata positions on every page, the forms with diacritics, the
filters and the sort order."""

from __future__ import annotations

import gzip
import html
import json
import random
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import cbor2
import pytest

from digest.build.entry import build, open_config
from digest.search.bundle import assemble
from digest.search.segment import Segment, read_folder
from digest.search.tool import pagefind_binary

SHARED = Path(__file__).resolve().parents[2] / "shared"


def _meta_names(meta_locs: list[int], fields: list[str]) -> list[tuple[str, int]]:
    found, field, last = [], "", 0
    for n in meta_locs:
        if n < 0:
            field, last = fields[-n - 1], 0
        else:
            last += n
            found.append((field, last))
    return sorted(found)


def decoded(folder: Path, documents: Path) -> dict[str, object]:
    """An index's content, keyed by the pages' URLs (page numbers and file names aside); each
    sort as the sequence of the documents' values in its order (ties in either order)."""
    entry = json.loads((folder / "pagefind-entry.json").read_text(encoding="utf-8"))
    (language,) = entry["languages"].values()

    def read(path: Path) -> object:
        data = gzip.decompress(path.read_bytes())
        assert data.startswith(b"pagefind_dcd")
        return data[12:]

    meta = cbor2.loads(read(folder / f"pagefind.{language['hash']}.pf_meta"))
    _, pages, chunks, filters, sorts, fields = meta
    fragments = [json.loads(read(folder / "fragment" / f"{name}.pf_fragment")) for name, _ in pages]
    urls = [f["url"] for f in fragments]
    by_url: dict[str, dict[str, object]] = {
        f["url"]: {"fragment": f, "word_count": count, "words": {}}
        for f, (_, count) in zip(fragments, pages, strict=True)
    }
    for first, last, name in chunks:
        for word, entries, variants in cbor2.loads(read(folder / "index" / f"{name}.pf_index"))[0]:
            assert first <= word and (word <= last or word.startswith(last)), "a word in its chunk's range"
            for form, pages_of in [("", entries), *variants]:
                number = 0
                for delta, locs, meta_locs in pages_of:
                    number += delta
                    by_url[urls[number]]["words"][f"{word}/{form}"] = (locs, _meta_names(meta_locs, fields))  # type: ignore[index]
    filter_values = {}
    for name, file_name in filters:
        filter_name, values = cbor2.loads(read(folder / "filter" / f"{file_name}.pf_filter"))
        assert filter_name == name
        filter_values[name] = {value: sorted(urls[n] for n in numbers) for value, numbers in values}
    values = _sort_values(documents)
    sort_values = {key: [values[urls[n]][key] for n in order] for key, order in sorts}
    return {"pages": by_url, "filters": filter_values, "sorts": sort_values}


def _sort_values(documents: Path) -> dict[str, dict[str, str]]:
    """Each document's sort values (`data-pagefind-sort`), by its URL."""
    found = {}
    for path in documents.rglob("index.html"):
        url = "/" + "".join(f"{part}/" for part in path.parent.relative_to(documents).parts)
        found[url] = dict(re.findall(r'data-pagefind-sort="([^"]+)">([^<]*)<', path.read_text(encoding="utf-8")))
    return found


def pagefind_index(documents: Path, out: Path, language: str = "en") -> dict[str, object]:
    argv = [str(pagefind_binary()), "--force-language", language, "--quiet", "--site", str(documents)]
    subprocess.run([*argv, "--output-path", str(out)], check=True, stdin=subprocess.DEVNULL)
    return decoded(out, documents)


def digest_index(documents: Path, out: Path, parts: int = 3, language: str = "en") -> dict[str, object]:
    """digest's index of the documents, joined from `parts` segments."""
    folders = sorted({p.parent for p in documents.rglob("index.html")})
    size = max(1, -(-len(folders) // parts))
    segments = []
    for n in range(0, len(folders), size):
        part = out.parent / f"part-{n}"
        for folder in folders[n : n + size]:
            target = part / folder.relative_to(documents)
            target.mkdir(parents=True)
            (target / "index.html").write_bytes((folder / "index.html").read_bytes())
        segments.append(Segment.loads(read_folder(part, language).dumps()))
    meta_hash, files = assemble(segments, language, "1.5.2")
    for name, data in files.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(data)
    pages = len(folders)
    entry = {"version": "1.5.2", "languages": {language: {"hash": meta_hash, "wasm": language, "page_count": pages}}}
    (out / "pagefind-entry.json").write_text(json.dumps(entry), encoding="utf-8")
    return decoded(out, documents)


def differences(theirs: dict[str, object], ours: dict[str, object]) -> list[str]:
    found = []
    their_pages, our_pages = theirs["pages"], ours["pages"]
    assert isinstance(their_pages, dict) and isinstance(our_pages, dict)
    if set(their_pages) != set(our_pages):
        found.append(f"pages: {sorted(set(their_pages) ^ set(our_pages))}")
    for url in sorted(set(their_pages) & set(our_pages)):
        a, b = their_pages[url], our_pages[url]
        for key in ("fragment", "word_count"):
            if a[key] != b[key]:
                found.append(f"{url} {key}: Pagefind {a[key]!r:.300} digest {b[key]!r:.300}")
        for word in sorted(set(a["words"]) | set(b["words"])):
            if a["words"].get(word) != b["words"].get(word):
                found.append(f"{url} {word!r}: Pagefind {a['words'].get(word)} digest {b['words'].get(word)}")
    for key in ("filters", "sorts"):
        if theirs[key] != ours[key]:
            found.append(f"{key}: Pagefind {theirs[key]!r:.300} digest {ours[key]!r:.300}")
    return found


def search_documents(root: Path) -> Path:
    """The search documents a build of `root` wrote, gathered in one folder."""
    out = root / "gathered"
    for shard in (root / ".digest-cache" / "search").glob("*/docs/*"):
        for folder in shard.rglob("index.html"):
            target = out / folder.parent.relative_to(shard)
            target.mkdir(parents=True)
            (target / "index.html").write_bytes(folder.read_bytes())
    return out


def test_the_sample_site_s_index_is_the_one_pagefind_makes(tmp_path: Path) -> None:
    repo, root = Path(__file__).resolve().parents[1], tmp_path / "root"
    for name in ("content", "templates"):
        shutil.copytree(repo / name, root / name)
    shutil.copyfile(repo / "digest.yaml", root / "digest.yaml")
    build(open_config(root), tmp_path / "site")
    documents = search_documents(root)
    assert len(list(documents.rglob("index.html"))) >= 20
    problems = differences(pagefind_index(documents, tmp_path / "pf"), digest_index(documents, tmp_path / "ours"))
    assert problems == [], "\n".join(problems[:20])


def test_tricky_text_is_indexed_as_pagefind_indexes_it(tmp_path: Path) -> None:
    """Compounds, camelCase, digits, diacritics, entities, headings with anchors, explicit and
    automatic weights, images, ignored parts, line breaks and CJK, as Markdown and documents hold them."""
    bodies = [
        "<h2 id='why-it-matters'>Why it matters</h2><p>Data-access rules for H100/H800 chips; <em>G20</em>'s "
        "e-commerce &amp; AI-Act “carve-outs” — Nvidia’s A800 (2023-10-17).</p>",
        "<p>Café société naïve résumé Zürich São Paulo. Ünïcödé façade coöperate.</p><p>IPv6 macOS iPhone "
        "OpenAI's GPT-4o and XMLHttpRequest camelCase snake_case kebab-case.</p>",
        "<h3 id='x y'>Heading <a href='#'>link</a> text</h3><p>Line<br>break and <code>inline_code()</code>."
        "</p><img src='/a.png' alt='A chart'><ul><li>One</li><li>Two!</li></ul>",
        "<p>芯 片 出 口 管 制 and 半 導 体. 1,000,000 units at $4.5bn, 3.14%, 24/7, #hashtag, @user, "
        "U.S. E.U. e.g. i.e. ...and so on</p><div data-pagefind-ignore><p>hidden words</p></div>",
        "<p data-pagefind-weight='0.5'>Half weight</p><p data-pagefind-weight='12'>Too heavy</p>"
        "<h4>Auto heading</h4><blockquote><p>Quoted ↩︎</p></blockquote><table><tr><td>Cell</td></tr></table>",
    ]
    documents = tmp_path / "documents"
    for n, body in enumerate(bodies):
        folder = documents / "briefs" / f"brief-{n}"
        folder.mkdir(parents=True)
        (folder / "index.html").write_text(
            f'<!DOCTYPE html><html lang="en"><head><title>Page {n}</title></head><body><main data-pagefind-body>'
            f'<h1 data-pagefind-weight="10">Title {n}: Export-Controls &amp; more</h1>'
            f'<p data-pagefind-weight="4">Summary of brief {n}.</p><div>{body}</div>'
            f'<div data-pagefind-ignore><span data-pagefind-meta="title">Title {n}</span>'
            f'<span data-pagefind-meta="date">{n + 1} May 2024</span>'
            + ('<span data-pagefind-meta="source">Reuters</span>' if n % 2 else "")
            + f'<span data-pagefind-filter="Topics">Chips</span><span data-pagefind-filter="Year">202{n}</span>'
            f'<span data-pagefind-sort="date">2024-05-0{n + 1}</span></div></main></body></html>',
            encoding="utf-8",
        )
    problems = differences(pagefind_index(documents, tmp_path / "pf"), digest_index(documents, tmp_path / "ours"))
    assert problems == [], "\n".join(problems[:20])


def compared(root: Path, pages: list[tuple[str, str]], language: str = "en") -> list[str]:
    """The differences between Pagefind's index and digest's of one search document per
    (title, body HTML), in a site of `language`."""
    documents = root / "documents"
    for n, (title, body) in enumerate(pages):
        folder = documents / "briefs" / f"brief-{n}"
        folder.mkdir(parents=True)
        (folder / "index.html").write_text(
            f'<!DOCTYPE html><html lang="{language}"><head><title>Page {n}</title></head><body>'
            f"<main data-pagefind-body><h1>{title}</h1><div>{body}</div></main></body></html>",
            encoding="utf-8",
        )
    theirs = pagefind_index(documents, root / "pf", language)
    return differences(theirs, digest_index(documents, root / "ours", language=language))


def test_words_whose_letters_carry_marks_are_indexed_as_pagefind_indexes_them(tmp_path: Path) -> None:
    """Scripts whose vowels are marks on a letter (Devanagari, Bengali, Tamil, Thai), letters that
    are symbols (circled), numbers that are not digits, and decomposed accents: Pagefind keeps
    every character Rust calls alphanumeric, which is more than Python's `isalnum`."""
    decomposed = unicodedata.normalize("NFD", "Café société naïve Zürich São Paulo")
    bodies = [
        "<p>भारत सरकार ने सेमीकंडक्टर मिशन की घोषणा की। নতুন চিপ নীতি। தமிழ்நாடு செமிகண்டக்டர்</p>",
        "<p>ประเทศไทย ส่งเสริม อุตสาหกรรม ⓐⓑⓒ Ⓐ-team ½ Ⅻ ٣٤ ²³</p>",
        f"<p>{decomposed}. Ends in a mark: सरकार</p><p>Ends in a fraction ½</p><p>Ends circled ⓐ</p>",
    ]
    problems = compared(tmp_path, [(f"Title {n}", body) for n, body in enumerate(bodies)])
    assert problems == [], "\n".join(problems[:20])


def test_emoji_and_words_of_marks_alone_are_indexed_as_pagefind_indexes_them(tmp_path: Path) -> None:
    """Pagefind also indexes each emoji of a word on its own (a search for ❌ or ™ finds it), folds
    a word of combining marks alone to the empty word, and cuts compounds at Unicode's grapheme
    clusters (Myanmar's vowel signs join their letter)."""
    bodies = [
        "<p>Export curbs ❌ lifted ✔ for H20🤖 chips; Nvidia™ and © Reuters. ❤️ 👍🏽 🇺🇸 👨‍👩‍👧 5️⃣ #1 ☺ ▶ ♾</p>",
        "<p>Stray marks \u0653 \u0301 and \u05b6 alone; mixed a\u0653-b and cӱ\u1087d w2\u1083\u035bᦨa.</p>",
        "<p>မြန်မာ နိုင်ငံ semiConductor-ပို့ကုန် 0ႋcⅻ camelCaseမြန်</p>",
    ]
    problems = compared(tmp_path, [(f"Title {n} ✅", body) for n, body in enumerate(bodies)])
    assert problems == [], "\n".join(problems[:20])


def test_random_unicode_text_is_indexed_as_pagefind_indexes_it(tmp_path: Path) -> None:
    """Words of random characters from every script and symbol block below U+3000, mixed with
    ASCII letters, digits and punctuation (a fixed seed: the same text every run)."""
    rnd = random.Random(24)
    pool = [chr(c) for c in range(0x20, 0x3000) if not unicodedata.category(chr(c)).startswith(("C", "Zl", "Zp"))]
    common = list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789   -_.,;:'\"()[]!?&/#@$%*+=")

    def words(count: int) -> str:
        return html.escape(
            " ".join(
                "".join(
                    rnd.choice(common) if rnd.random() < 0.6 else rnd.choice(pool) for _ in range(rnd.randint(1, 12))
                )
                for _ in range(count)
            )
        )

    problems = compared(tmp_path, [(words(3), f"<p>{words(rnd.randint(5, 40))}</p>") for _ in range(24)])
    assert problems == [], "\n".join(problems[:20])


@pytest.mark.xfail(strict=True, reason="not replicated yet: charabia's segmentation of Thai (issue 24's note)")
def test_a_thai_site_s_words_are_split_as_pagefind_splits_them(tmp_path: Path) -> None:
    """For a site in Thai, Pagefind's indexer cuts the text into words with a dictionary
    (charabia), and Pagefind's search page cuts a query alike (Intl.Segmenter): digest leaves
    Thai text as written, so a word inside a run of text is not found. Known, not fixed: this
    test fails once it is, and its mark goes."""
    assert compared(tmp_path, [("ประเทศไทย", "<p>ส่งเสริม อุตสาหกรรมเซมิคอนดักเตอร์</p>")], "th") == []


@pytest.mark.skipif(not (SHARED / "bench" / "gen_corpus.py").is_file(), reason="needs ../shared/bench")
def test_a_generated_corpus_is_indexed_as_pagefind_indexes_it(tmp_path: Path) -> None:
    root = tmp_path / "root"
    generate = [sys.executable, str(SHARED / "bench" / "gen_corpus.py"), "--n", "300", "--format", "digest"]
    subprocess.run([*generate, "--out", str(root)], check=True, capture_output=True)
    build(open_config(root), tmp_path / "site")
    documents = search_documents(root)
    problems = differences(pagefind_index(documents, tmp_path / "pf"), digest_index(documents, tmp_path / "ours"))
    assert problems == [], "\n".join(problems[:20])
