#!/usr/bin/env python3
"""Where a first search's time goes in Pagefind's reader, part by part, on a built site.

    .venv/bin/python bench/search_parts.py SITE [--words export,treaty] [--rounds 2]
    .venv/bin/python bench/search_parts.py SITE --rechunk POSITIONS --out COPY

The first form opens the site's `/search/` page in headless Chromium (nothing searched yet),
then drives Pagefind's JavaScript API as the page does: the first index, the others merged
(a very large digest's parts), one search, the first ten results' data, and the same search
again. It prints when each step ended (ms from the start) and Pagefind's own timings of each
part's search (`preload`: its chunks loaded and decoded; `search`: its scoring). A new browser
context for each round: nothing cached.

The second form writes a copy of the site's search page, assets and index (files hard-linked)
whose index chunks are cut again at POSITIONS positions each (digest's `CHUNK_SIZE` is
Pagefind's 20,000), for `search_bench.py --site NAME=COPY` to compare.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import hashlib
import http.server
import json
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import cbor2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.search_bench import CHROMIUM, CHROMIUM_ARGS
from digest.search.bundle import _ranges

SIGNATURE = b"pagefind_dcd"
STEPS = """async (word) => {
  const root = document.querySelector('[data-search]');
  const folders = (root.dataset.indexes || '').split(' ').filter(Boolean).map((n) => n + '/');
  const [first = '', ...others] = folders;
  const steps = [];
  const t0 = performance.now();
  const pagefind = await import(root.dataset.bundle + first + 'pagefind.js');
  await pagefind.options({ baseUrl: root.dataset.base });
  await pagefind.init();
  await Promise.all(others.map((n) => pagefind.mergeIndex(root.dataset.bundle + n, { baseUrl: root.dataset.base })));
  steps.push(['parts loaded', performance.now() - t0]);
  const found = await pagefind.search(word);
  steps.push([`searched (${found.results.length} results)`, performance.now() - t0]);
  await Promise.all(found.results.slice(0, 10).map((r) => r.data()));
  steps.push(['ten results read', performance.now() - t0]);
  const again = await pagefind.search(word);
  steps.push(['searched again', performance.now() - t0]);
  const parts = (t) => (Array.isArray(t) ? t : [t]).map((x) => [x.preload, x.search]);
  return { steps, first: parts(found.timings), again: parts(again.timings) };
}"""


def measure(site: Path, words: list[str], rounds: int) -> None:
    from playwright.sync_api import sync_playwright

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for word in words:
            for n in range(rounds):
                context = browser.new_context()
                tab = context.new_page()
                tab.goto(f"http://127.0.0.1:{server.server_port}/search/")
                tab.wait_for_load_state("networkidle")
                out = tab.evaluate(STEPS, word)
                print(f"{word!r} round {n + 1}: " + ", ".join(f"{name} {ms:.0f}" for name, ms in out["steps"]))
                for label in ("first", "again"):
                    cells = " ".join(f"{pre:.0f}/{score:.0f}" for pre, score in out[label])
                    print(f"    {label} search, each part's preload/search ms: {cells}")
                context.close()
        browser.close()
    server.shutdown()


def _read(path: Path) -> object:
    data = gzip.decompress(path.read_bytes())
    assert data.startswith(SIGNATURE)
    return cbor2.loads(data[len(SIGNATURE) :])


def _positions(pages: list[list[object]]) -> int:
    return sum(len(locs) for _, locs, _ in pages)  # type: ignore[misc, arg-type]


def rechunk(site: Path, out: Path, positions: int) -> None:
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for name in ("search", "static", "pagefind"):
        subprocess.run(["cp", "-al", str(site / name), str(out / name)], check=True)
    for part in sorted(p.parent for p in (out / "pagefind").rglob("pagefind-entry.json")):
        entry_path = part / "pagefind-entry.json"
        entry = json.loads(entry_path.read_text(encoding="utf-8"))
        (language,) = entry["languages"]
        meta_path = part / f"pagefind.{entry['languages'][language]['hash']}.pf_meta"
        version, pages, chunks, filters, sorts, fields = _read(meta_path)  # type: ignore[misc]
        words: list[list[object]] = []
        for _, _, name in chunks:
            chunk = part / "index" / f"{name}.pf_index"
            words += _read(chunk)[0]  # type: ignore[index]
            chunk.unlink()  # (a hard link: the site's own file stays)
        cut: list[list[list[object]]] = [[]]
        size = 0
        for word in sorted(words, key=lambda w: str(w[0])):
            cut[-1].append(word)
            size += _positions(word[1]) + sum(_positions(v[1]) for v in word[2])  # type: ignore[arg-type, index, union-attr]
            if size >= positions:
                cut.append([])
                size = 0
        cut = [c for c in cut if c]
        new_chunks = []
        for (first, last), chunk_words in zip(_ranges([[str(w[0]) for w in c] for c in cut]), cut, strict=True):
            data = cbor2.dumps([chunk_words])
            name = f"{language}_{hashlib.sha1(data).hexdigest()[:7]}"
            (part / "index" / f"{name}.pf_index").write_bytes(gzip.compress(SIGNATURE + data, 6, mtime=0))
            new_chunks.append([first, last, name])
        meta = cbor2.dumps([version, pages, new_chunks, filters, sorts, fields])
        meta_hash = f"{language}_{hashlib.sha1(meta).hexdigest()[: len(language) + 8]}"
        meta_path.unlink()
        (part / f"pagefind.{meta_hash}.pf_meta").write_bytes(gzip.compress(SIGNATURE + meta, 6, mtime=0))
        entry["languages"][language]["hash"] = meta_hash
        entry_path.unlink()
        entry_path.write_text(json.dumps(entry), encoding="utf-8")
        print(f"{part.relative_to(out)}: {len(chunks)} chunks -> {len(new_chunks)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("site", type=Path, help="a built site folder (with search/ and pagefind/)")
    ap.add_argument("--words", default="export,treaty")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--rechunk", type=int, default=0, help="write a copy with chunks of this many positions")
    ap.add_argument("--out", type=Path, help="where --rechunk writes its copy")
    args = ap.parse_args()
    if args.rechunk:
        if not args.out:
            ap.error("--rechunk needs --out")
        rechunk(args.site, args.out, args.rechunk)
    else:
        measure(args.site, args.words.split(","), args.rounds)


if __name__ == "__main__":
    main()
