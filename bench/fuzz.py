"""The fuzz tests of tests/test_fuzz.py at bench length: 10,000 examples per target.

    nice .venv/bin/python bench/fuzz.py [--examples 10000] [-k PATTERN] [--out bench/out/fuzz.txt]

Runs pytest on tests/test_fuzz.py with DIGEST_FUZZ_EXAMPLES set (the suite's tests and
strategies, only the count differs), then prints one line per target (examples, time,
passed or the failure hypothesis found) and a total. Exit 1 if any target failed.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--examples", type=int, default=10_000, help="examples per target (default 10000)")
    parser.add_argument("-k", dest="pattern", help="only the targets matching this pytest -k expression")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "fuzz.txt", help="where the log goes")
    args = parser.parse_args()
    env = dict(os.environ, DIGEST_FUZZ_EXAMPLES=str(args.examples))
    command = [sys.executable, "-m", "pytest", "tests/test_fuzz.py", "-q", "-rfE", "--durations=0",
               "-p", "no:cacheprovider", "--hypothesis-show-statistics"]  # fmt: skip
    if args.pattern:
        command += ["-k", args.pattern]
    started = time.monotonic()
    run = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - started
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(run.stdout + run.stderr)

    durations = {
        m.group(2): float(m.group(1))
        for m in re.finditer(r"^([\d.]+)s call\s+tests/test_fuzz\.py::(\w+)", run.stdout, re.M)
    }
    failed = set(re.findall(r"^FAILED tests/test_fuzz\.py::(\w+)", run.stdout, re.M))
    passing: dict[str, int] = {}
    for m in re.finditer(r"^tests/test_fuzz\.py::(\w+):\n(.*?)(?=^\S|\Z)", run.stdout, re.M | re.S):
        counts = re.findall(r"(\d+) passing, (\d+) failing", m.group(2))
        passing[m.group(1)] = sum(int(a) + int(b) for a, b in counts)
    print(f"# {args.examples:,} examples per fuzz target; {' '.join(command[2:])}")
    for name in sorted(durations):
        outcome = "FAILED" if name in failed else "passed"
        examples = passing.get(name)
        count = f"{examples:,} examples run" if examples is not None else "examples: see log"
        print(f"{name}: {outcome}, {count}, {durations[name]:.0f} s")
    print(f"total: {len(durations)} targets, {len(failed)} failed, {seconds:.0f} s; log in {args.out}")
    return 1 if run.returncode else 0


if __name__ == "__main__":
    sys.exit(main())
