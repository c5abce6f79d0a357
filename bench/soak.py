"""Soak test of `digest serve`: random edits for N minutes with a headless Chromium page open.

    nice .venv/bin/python bench/soak.py [--minutes 5] [--briefs 200] [--seed 1] [--out bench/out/soak.json]

A generated site (tests/sitegen.py) is served by `digest serve` (a subprocess, as a writer
runs it). A Chromium page (Playwright, /usr/bin/chromium) stays open on a brief or on the
home page while the script edits the files the way writers do: body, title and summary edits,
atomic saves, bursts of saves, edits of other briefs, new and deleted briefs, CSS changes,
broken front matter then its fix. After every edit it waits (up to --timeout seconds) until the
page shows it: an edit that does not show is a missed reload. Every second it samples the
server's thread count and resident memory. At the end the served site is compared, file by
file and over HTTP, with a clean build of the same sources by the same build function with
the configuration `digest serve` uses (drafts, its base URL), byte for byte.

Bounds checked (exit 1 if broken): no missed reload; threads never above THREADS_BOUND (the
server's own ~6 threads, one per open connection of the page, plus headroom); resident memory
at the end at most RSS_GROWTH_MB above the sample taken after the warm-up minute; the served
site equal to the clean build.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from digest.build.entry import build, open_config  # noqa: E402
from tests.sitegen import brief_text, make_site, sentence  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
THREADS_BOUND = 40
RSS_GROWTH_MB = 64
INJECTED = re.compile(rb'<script src="/__digest__/livereload\.js" data-server="[0-9a-f]+" data-epoch="\d+"></script>')


class Serve:
    def __init__(self, root: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "digest", "serve", "--root", str(root), "--port", "0"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
            env=dict(os.environ, PYTHONFAULTHANDLER="1"),  # SIGABRT dumps every thread's stack
        )  # fmt: skip
        self.lines: list[str] = []
        self.url = ""
        ready = threading.Event()

        def read() -> None:
            assert self.process.stdout is not None
            for line in self.process.stdout:
                self.lines.append(line.rstrip("\n"))
                found = re.search(r"at (http://\S+/)", line)
                if found and not self.url:
                    self.url = found.group(1)
                    ready.set()

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(120):
            raise SystemExit(f"digest serve did not start: {self.lines}")

    def sample(self) -> tuple[int, float]:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        threads = int(re.search(r"^Threads:\s+(\d+)", status, re.M).group(1))  # type: ignore[union-attr]
        rss = int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1)) / 1024  # type: ignore[union-attr]
        return threads, rss

    def stop(self) -> int:
        """Ctrl-C; if the server has not exited after 20 s, its threads' stacks go to the log."""
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.send_signal(signal.SIGABRT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
            time.sleep(0.5)
            return -9


class Soak:
    def __init__(self, root: Path, page: Any, serve: Serve, rng: random.Random, timeout: float) -> None:
        self.root, self.page, self.serve, self.rng, self.timeout = root, page, serve, rng, timeout
        self.briefs = root / "content" / "briefs"
        self.n = 0
        self.viewing: Path | None = None  # the brief the page shows, or None for the home page
        self.latencies: list[float] = []
        self.missed: list[str] = []
        self.kinds: dict[str, int] = {}
        self.history: list[str] = []

    def files(self) -> list[Path]:
        return sorted(self.briefs.glob("*.md"))

    def slug(self, path: Path) -> str:
        return path.stem

    def view(self, path: Path | None) -> None:
        self.viewing = path
        self.page.goto(self.serve.url + (f"briefs/{self.slug(path)}/" if path else ""))

    def wait(self, kind: str, condition: str, arg: object, started: float) -> None:
        deadline = started + self.timeout
        while True:
            try:
                left = max(deadline - time.monotonic(), 0.1)
                self.page.wait_for_function(condition, arg=arg, timeout=left * 1000)
                self.latencies.append(time.monotonic() - started)
                return
            except Exception as exc:  # noqa: BLE001 - a timeout is a missed reload; keep going
                if "TimeoutError" not in type(exc).__name__ and time.monotonic() < deadline:
                    time.sleep(0.05)  # the page reloaded while it was being checked: check again
                    continue
                self.missed.append(f"{kind} #{self.n} (after {self.history[-3:]}): {type(exc).__name__}: {exc}"[:300])
                self.view(self.viewing if self.viewing and self.viewing.exists() else None)
                return

    def shows(self, kind: str, text: str, started: float) -> None:
        self.wait(kind, "t => document.documentElement.textContent.includes(t)", text, started)

    def write(self, path: Path, text: str, atomic: bool = False) -> None:
        if atomic:
            temporary = path.with_name(f".{path.name}.tmp")
            temporary.write_text(text)
            os.replace(temporary, path)
        else:
            path.write_text(text)

    def step(self) -> None:
        self.n += 1
        if self.n % 15 == 1 or (self.viewing is not None and not self.viewing.exists()):
            self.view(self.rng.choice(self.files()) if self.rng.random() < 0.7 else None)
        if self.viewing is None:
            kind = self.rng.choice(["add", "add", "css", "delete-newest"])
        else:
            kind = self.rng.choice(["body", "body", "title", "summary", "atomic", "burst", "other", "add",
                                    "delete-other", "css", "broken"])  # fmt: skip
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        self.history.append(kind)
        marker = f"Soak marker {self.n} {self.rng.randint(0, 10**9)}."
        started = time.monotonic()
        path = self.viewing
        if kind in ("body", "atomic") and path:
            self.write(path, path.read_text() + f"\n{marker}\n", atomic=kind == "atomic")
            self.shows(kind, marker, started)
        elif kind in ("title", "summary") and path:
            text = re.sub(rf"^{kind}: .*$", f"{kind}: {marker}", path.read_text(), count=1, flags=re.M)
            self.write(path, text)
            self.shows(kind, marker, started)
        elif kind == "burst" and path:
            for k in range(5):
                path.write_text(path.read_text() + f"\n{marker} part {k}\n")
            self.shows(kind, f"{marker} part 4", started)
        elif kind == "other" and path:
            others = [p for p in self.files() if p != path]
            other = self.rng.choice(others)
            other.write_text(other.read_text() + f"\n{sentence(self.rng)}\n")
            self.write(path, path.read_text() + f"\n{marker}\n")
            self.shows(kind, marker, started)
        elif kind == "add":
            day = dt.date(2026, 1, 1) + dt.timedelta(days=self.n)  # newer than every other brief
            (self.briefs / f"soak-{self.n}.md").write_text(brief_text(self.rng, marker, day))
            if self.viewing is None:
                self.shows(kind, marker, started)
        elif kind in ("delete-other", "delete-newest"):
            candidates = [p for p in self.files() if p != path]
            if kind == "delete-newest":
                added = sorted((p for p in candidates if p.name.startswith("soak-")), key=lambda p: int(p.stem[5:]))
                candidates = added[-1:] or candidates
            victim = candidates[-1] if kind == "delete-newest" else self.rng.choice(candidates)
            title = re.search(r"^title: (.*)$", victim.read_text(), re.M).group(1)  # type: ignore[union-attr]
            victim.unlink()
            if self.viewing is None and kind == "delete-newest" and victim.name.startswith("soak-"):
                self.wait(kind, "t => !document.documentElement.textContent.includes(t)", title, started)
        elif kind == "css":
            css = self.root / "templates" / "static" / "style.css"
            css.write_text(css.read_text() + f"\n:root {{ --soak: '{self.n}'; }}\n")
            self.wait(
                kind,
                "n => getComputedStyle(document.documentElement).getPropertyValue('--soak').includes(n)",
                str(self.n),
                started,
            )
        elif kind == "broken" and path:
            good = path.read_text()
            path.write_text(good.replace("title: ", 'title: "unclosed ', 1))
            self.wait(kind, "() => document.getElementById('digest-error-overlay') !== null", None, started)
            started = time.monotonic()
            path.write_text(good + f"\n{marker}\n")
            self.wait(kind, "() => document.getElementById('digest-error-overlay') === null", None, started)
            self.shows(kind, marker, started)


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def reference(root: Path, url: str, scratch: Path) -> dict[str, bytes]:
    """A clean build of the same sources with the configuration `digest serve` uses."""
    shutil.copytree(root, scratch, ignore=shutil.ignore_patterns(".digest-cache", "site"))
    config = open_config(scratch, drafts=True, base_url=url)
    names = {f.name for f in dataclasses.fields(config)}
    if "serving" in names:  # (older digest)
        config = config.with_overrides(serving=True)  # type: ignore[call-arg]
    elif "fingerprint_assets" in names:
        config = config.with_overrides(fingerprint_assets=False, search_drafts=True)
    build(config, scratch / "out", clean=True, jobs=1)
    return tree(scratch / "out")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--briefs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds an edit may take to show")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "soak.json")
    args = parser.parse_args()
    # Started in the background by a non-interactive shell, this process (and so `digest serve`)
    # would ignore SIGINT; handling it here gives the server the default, so Ctrl-C stops it.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="digest-soak-"))
    root = work / "site"
    rng = make_site(root, args.briefs, seed=args.seed)
    (root / "templates" / "static").mkdir(parents=True)
    shutil.copy(REPO / "templates" / "static" / "style.css", root / "templates" / "static" / "style.css")
    serve = Serve(root)
    samples: list[tuple[float, int, float]] = []
    stop = threading.Event()
    started = time.monotonic()

    def sampler() -> None:
        while not stop.wait(1.0):
            try:
                samples.append((time.monotonic() - started, *serve.sample()))
            except (OSError, AttributeError):
                return

    threading.Thread(target=sampler, daemon=True).start()
    ok = True
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page()
            soak = Soak(root, page, serve, rng, args.timeout)
            deadline = started + args.minutes * 60
            while time.monotonic() < deadline:
                soak.step()
            time.sleep(2.0)  # let the last build finish
            served = tree(root / ".digest-cache" / "serve")
            browser.close()
        expected = reference(root, serve.url, work / "reference")
        differ = sorted(p for p in set(served) | set(expected) if served.get(p) != expected.get(p))
        over_http = []
        for relative, data in expected.items():
            with urllib.request.urlopen(serve.url + relative, timeout=30) as response:
                if INJECTED.sub(b"", response.read()) != data:
                    over_http.append(relative)
    finally:
        stop.set()
        code = serve.stop()
    warm = [s for s in samples if s[0] >= 60] or samples
    threads = [s[1] for s in samples]
    rss = [s[2] for s in samples]
    lat = sorted(soak.latencies)
    latency = {}
    if lat:
        latency = {"p50": statistics.median(lat), "p95": lat[int(len(lat) * 0.95)], "max": lat[-1]}
        latency = {k: round(v, 3) for k, v in latency.items()}
    result = {
        "command": " ".join(["bench/soak.py", *sys.argv[1:]]),
        "minutes": args.minutes,
        "briefs": args.briefs,
        "edits": soak.n,
        "edit_kinds": dict(sorted(soak.kinds.items())),
        "checked_shown": len(lat),
        "missed_reloads": soak.missed,
        "latency_s": latency,
        "threads": {"first": threads[0], "max": max(threads), "last": threads[-1], "bound": THREADS_BOUND},
        "rss_mb": {
            "first": round(rss[0], 1),
            "after_warmup": round(warm[0][2], 1),
            "max": round(max(rss), 1),
            "last": round(rss[-1], 1),
            "bound_growth": RSS_GROWTH_MB,
        },
        "served_files": len(served),
        "files_differing_from_clean_build": differ[:20],
        "http_responses_differing": over_http[:20],
        "server_exit": code,
        "rebuilds": sum("Rebuilt in" in line for line in serve.lines),
        "server_log_tail": serve.lines[-80:] if code != 0 else serve.lines[-3:],
    }
    checks = {
        "no missed reloads": not soak.missed,
        "threads within bound": max(threads) <= THREADS_BOUND,
        "memory within bound": rss[-1] <= warm[0][2] + RSS_GROWTH_MB,
        "served site equals a clean build": not differ and not over_http and bool(served),
        "server stopped cleanly": code == 0,
    }
    result["checks"] = checks
    ok = all(checks.values())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
