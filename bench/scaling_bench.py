#!/usr/bin/env python3
"""Size-vs-time scaling of the inputs whose cost could grow faster than their size.

What it measures
----------------
Two families of generated inputs, each at ``--sizes`` (default 0.7, 1.4 and 2.8 MB), seeded:

    html     a saved article page (`<article>` of paragraphs of about 60 words with a link,
             headings, lists and a table every few paragraphs, navigation and a footer around
             it), imported with `digest import` into a fresh site; the time is the import's
    html-short  the same with paragraphs of about 30 words with a link and an emphasis: twice the
             paragraphs and five pieces of text in each, the shape whose import grew with the
             square of the size (beyond 20,000 pieces of text in paragraphs the page is refused
             at once with an error, exit 1)
    table    a brief whose body is one Markdown table, built with `digest build`: by default a very
             wide one (as many left-aligned columns as the size allows, three rows of one-letter cells),
             or ``--columns`` columns and as many full rows as the size allows; beyond the caps
             of a table (64 columns, 2,000 rows) the build stops at once with an error (exit 1),
             which is then the figure

Each figure is the best of ``--repeat`` runs (default 1) of a fresh `digest` process, so start-up
is included; `CPU s/MB` is the CPU time divided by the size, which stays flat when the cost
grows linearly. Wall time is time.perf_counter() around the subprocess; CPU time (user and
system), which other programs on a busy machine disturb less, and peak memory (ru_maxrss) are the
child's, from os.wait4; the site's size is what `digest build` wrote (0 for an import). The best
run is the one of least CPU time. Run
from a checkout with its .venv; to measure another version of digest with the same inputs, put
its source folder first on PYTHONPATH (the child processes import digest from there):

    .venv/bin/python bench/scaling_bench.py [--sizes 0.7 1.4 2.8] [--only html|table]
    PYTHONPATH=/tmp/old-digest .venv/bin/python bench/scaling_bench.py
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FAMILIES = ("html", "html-short", "table")
WORDS = ["policy", "export", "chips", "rules", "ministry", "officials", "agreed", "review", "data", "centre", "licence", "funding", "model", "testing", "register", "quota", "semiconductor", "market", "industry", "group", "week", "said", "consultation"]  # fmt: skip


def words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def html_page(rng: random.Random, size: int, short: bool = False) -> str:
    """An article page of about `size` bytes: paragraphs of about 60 words with a link, or
    (`short`) of about 30 words with a link and an emphasis (five pieces of text each)."""
    head = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Chip Rules Tighten | Bench Times</title>'
        '<meta property="og:site_name" content="Bench Times">'
        '<meta property="article:published_time" content="2025-03-04T08:00:00Z"></head><body>'
        '<nav><a href="/">Home</a> <a href="/world">World</a></nav><article><h1>Chip Rules Tighten</h1>'
    )
    parts = [head]
    total, n = len(head), 0
    while total < size:
        n += 1
        if n % 12 == 0:
            part = f"<h2>{words(rng, 5)}</h2>"
        elif n % 12 == 6:
            part = "<ul>" + "".join(f"<li>{words(rng, 10)}</li>" for _ in range(4)) + "</ul>"
        elif n % 24 == 18:
            rows = "".join(f"<tr><td>{words(rng, 2)}</td><td>{rng.randint(1, 999)}</td></tr>" for _ in range(5))
            part = f"<table><tr><th>item</th><th>value</th></tr>{rows}</table>"
        elif short:
            part = (
                f'<p>{words(rng, 12)} <a href="https://example.org/{n}">{words(rng, 3)}</a> '
                f"<em>{words(rng, 2)}</em> {words(rng, 12)}.</p>"
            )
        else:
            link = f'<a href="https://example.org/{n}">{words(rng, 3)}</a>'
            part = f"<p>{words(rng, 30)} {link} {words(rng, 30)}.</p>"
        parts.append(part)
        total += len(part)
    parts.append("</article><footer>© 2025 Bench Times</footer></body></html>")
    return "".join(parts)


def table_brief(rng: random.Random, size: int, columns: int) -> str:
    """A brief of about `size` bytes that is one table: `columns` columns and as many rows as fit
    or, with `columns` 0, as many columns as fit in five rows (a very wide table, aligned left,
    which the parser pads with styled cells)."""
    head = "---\ntitle: Wide table\ndate: 2025-01-01\nsummary: A table.\nkey_points: [One]\n---\n"
    if columns == 0:
        columns = max(1, (size - len(head)) // 16)
        lines = ["| " + " | ".join(f"c{i % 10}" for i in range(columns)) + " |\n", "|:--" * columns + "|\n"]
        lines += ["|x" * columns + "|\n" for _ in range(3)]
        return head + "".join(lines)
    header = "| " + " | ".join(f"c{i}" for i in range(columns)) + " |\n" + "|---" * columns + "|\n"
    lines = [head, header]
    total = len(head) + len(header)
    while total < size:
        row = "| " + " | ".join(rng.choice(WORDS) for _ in range(columns)) + " |\n"
        lines.append(row)
        total += len(row)
    return "".join(lines)


def new_site(folder: Path) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "content" / "briefs").mkdir(parents=True)
    shutil.copy(REPO / "content" / "tags.yaml", folder / "content" / "tags.yaml")
    (folder / "digest.yaml").write_text("title: Scaling\nsearch: false\n")
    return folder


def run(argv: list[str], errors: Path, cwd: Path) -> tuple[float, int, float, float]:
    """Wall time, exit code, peak memory (MB) and CPU time (user and system) of one digest
    process; its stderr goes to `errors`."""
    start = time.perf_counter()
    with errors.open("w") as stderr:
        process = subprocess.Popen(  # (not from the checkout: `-m` would import digest from there first)
            [sys.executable, "-m", "digest", *argv], stdout=subprocess.DEVNULL, stderr=stderr, cwd=cwd
        )
        _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, process.returncode, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[0.7, 1.4, 2.8], help="input sizes in MB")
    parser.add_argument(
        "--columns", type=int, default=0, help="columns of the generated table (default 0: as wide as the size allows)"
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs of each measurement; the best counts")
    parser.add_argument("--only", choices=FAMILIES, help="measure one family only")
    parser.add_argument("--work", type=Path, default=Path("/tmp/digest-scaling-bench"))
    args = parser.parse_args()

    print(
        f"{'input':<10} {'MB':>5} {'seconds':>8} {'CPU s':>6} {'exit':>5} {'CPU s/MB':>9} {'peak MB':>8} {'site MB':>8}"
    )
    for family in FAMILIES:
        if args.only and family != args.only:
            continue
        for mb in args.sizes:
            rng = random.Random(7)
            size = int(mb * 1_000_000)
            site = new_site(args.work / f"{family}-{mb}")
            if family.startswith("html"):
                source = site / "content" / "sources" / "page.html"
                source.parent.mkdir(parents=True)
                source.write_text(html_page(rng, size, short=family == "html-short"), encoding="utf-8")
                argv = ["import", "--root", str(site), "--date", "2025-03-04", str(source)]
            else:
                (site / "content" / "briefs" / "wide.md").write_text(table_brief(rng, size, args.columns))
                argv = ["build", "--root", str(site), "--quiet", "--clean"]
            errors = args.work / f"{family}-{mb}.stderr"
            best = min((run(argv, errors, site) for _ in range(args.repeat)), key=lambda r: r[3])
            made = sum(p.stat().st_size for p in (site / "site").rglob("*") if p.is_file()) / 1e6
            print(
                f"{family:<10} {mb:>5.1f} {best[0]:>8.2f} {best[3]:>6.2f} {best[1]:>5} {best[3] / mb:>9.2f} "
                f"{best[2]:>8.0f} {made:>8.1f}",
                flush=True,
            )
            if best[1]:
                print(f"       {errors.read_text().splitlines()[0][:100]}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
