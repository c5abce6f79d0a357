#!/usr/bin/env python3
"""A/B: two installs of digest on one scenario, builds alternating, so that the spells of a
noisy machine fall on both alike. The way a change's figure in docs/BENCHMARKS.md is measured.

    python3 bench/ab.py --old /tmp/digest-old/.venv/bin/digest --new .venv/bin/digest \\
        --scenario body --pairs 10 [--n 10000]

Each install builds its own copy of the shared corpus (`gen_corpus.py --n N`, the theme's
brief template copied into `templates/` as in build_bench.py), built once before the pairs
(but for `cold`). The scenarios are build_bench.py's: `cold` (site/ and .digest-cache/ removed
first), `body`, `tags` and `template`; both copies get the same edits. Each build is timed from
fork to wait4, with the CPU time (user and system) of the build and all its processes. Pair k
runs old then new when k is even, new then old when it is odd. Prints every build, then the
medians.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_bench as bb  # (the scenarios' edits and corpus, shared with it


def timed_build(digest: str, root: Path) -> tuple[float, float]:
    """Wall time and CPU time (user + system, the build's processes included) of one build."""
    argv = [*shlex.split(digest), "build", "--root", str(root), "--quiet"]
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{shlex.join(argv)} exited {process.returncode}")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--old", required=True, help="the digest command of the install before the change")
    ap.add_argument("--new", required=True, help="the digest command of the install after it")
    ap.add_argument("--scenario", choices=("cold", "body", "tags", "template"), default="body")
    ap.add_argument("--pairs", type=int, default=10)
    ap.add_argument("--n", type=int, default=10000, help="briefs in the corpus (default 10000)")
    ap.add_argument("--pause", type=float, default=2.0, help="seconds between builds (default 2)")
    ap.add_argument("--shared", type=Path, default=bb.REPO.parent / "shared")
    ap.add_argument("--work", type=Path, default=Path("/tmp/digest-ab"))
    args = ap.parse_args()

    tool = bb.Tool("digest", "digest", [], {}, ("site", ".digest-cache"), "site", "templates/brief.html")
    vocabulary = bb.load_vocabulary(args.shared)
    sides = {"old": args.old, "new": args.new}
    roots = {side: args.work / side for side in sides}
    for side, root in roots.items():
        print(f"preparing {root} ({args.n} briefs)", flush=True)
        bb.prepare(tool, args.n, root, args.shared)
        if args.scenario != "cold":
            timed_build(sides[side], root)

    walls: dict[str, list[float]] = {side: [] for side in sides}
    cpus: dict[str, list[float]] = {side: [] for side in sides}
    for k in range(args.pairs):
        for side in ("old", "new") if k % 2 == 0 else ("new", "old"):
            root = roots[side]
            if args.scenario == "cold":
                for name in tool.clean:
                    bb.rmtree(root / name)
            elif args.scenario == "body":
                bb.edit_body(root, k)
            elif args.scenario == "tags":
                bb.edit_tags(root, k, "digest", vocabulary)
            else:
                bb.edit_template(root, tool, k)
            time.sleep(args.pause)
            wall, cpu = timed_build(sides[side], root)
            walls[side].append(wall)
            cpus[side].append(cpu)
            print(f"pair {k + 1} {side}: {wall:.3f} s, CPU {cpu:.3f} s", flush=True)
    for side in sides:
        print(
            f"{side}: median {statistics.median(walls[side]):.3f} s, CPU {statistics.median(cpus[side]):.3f} s"
            f" ({args.scenario}, {args.pairs} builds: {' '.join(f'{w:.2f}' for w in walls[side])})"
        )


if __name__ == "__main__":
    main()
