"""`digest serve`: live reload in a real browser, errors in the page, and a server safe to leave running."""

from __future__ import annotations

import contextlib
import http.client
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, REPO
from tests.sitegen import make_site


class ServeProcess:
    """`digest serve` in a subprocess, with its output collected line by line."""

    def __init__(self, root: Path, *extra: str, port: int = 0) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "digest", "serve", "--root", str(root), "--port", str(port), *extra],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
        )  # fmt: skip
        self.lines: queue.Queue[str] = queue.Queue()
        self.log: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        self.url = self.wait_for(r"at (http://\S+/)").group(1)
        self.port = int(self.url.rsplit(":", 1)[1].strip("/"))

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, pattern: str, timeout: float = 20) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                continue
            self.log.append(line)
            match = re.search(pattern, line)
            if match:
                return match
        raise AssertionError(f"no line matching {pattern!r} in {timeout} s; output so far: {self.log}")

    def drain(self, seconds: float) -> list[str]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with contextlib.suppress(queue.Empty):
                self.log.append(self.lines.get(timeout=0.05))
        return self.log

    def stop(self) -> int:
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=10)
        finally:
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGKILL)


@pytest.fixture
def site_root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    shutil.copytree(FIXTURES / "golden-site", root)
    (root / "templates" / "static").mkdir(parents=True)
    shutil.copy(REPO / "templates" / "static" / "style.css", root / "templates" / "static" / "style.css")
    return root


@pytest.fixture
def serve(site_root: Path) -> Iterator[ServeProcess]:
    server = ServeProcess(site_root)
    yield server
    assert server.stop() == 0, "Ctrl-C stops the server cleanly"


def get(server: ServeProcess, path: str, host: str | None = None) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
    connection.putheader("Host", host or f"127.0.0.1:{server.port}")
    connection.endheaders()
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def wait_text(page: object, text: str, timeout: float = 10_000) -> None:
    page.wait_for_function("t => document.documentElement.textContent.includes(t)", arg=text, timeout=timeout)  # type: ignore[attr-defined]


def test_editing_a_brief_shows_the_new_text_in_place_and_with_atomic_saves(
    serve: ServeProcess, site_root: Path, browser: object
) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(serve.url + "briefs/minerals/")
    brief = site_root / "content" / "briefs" / "minerals.md"
    brief.write_text(brief.read_text() + "\nFirst marker sentence.\n")
    wait_text(page, "First marker sentence.")
    temporary = brief.with_name(".minerals.md.tmp")
    temporary.write_text(brief.read_text() + "\nSecond marker after an atomic save.\n")
    os.replace(temporary, brief)
    wait_text(page, "Second marker after an atomic save.")
    assert (
        "digest-reload"
        not in (site_root / ".digest-cache" / "serve" / "briefs" / "minerals" / "index.html").read_text()
    )
    assert "__digest__" not in (site_root / ".digest-cache" / "serve" / "index.html").read_text(), (
        "files on disk stay clean"
    )


def test_an_edited_page_is_updated_in_place_keeping_its_scroll_position(
    serve: ServeProcess, site_root: Path, browser: object
) -> None:
    """A writer scrolled down to the paragraph they are editing stays there: the open page
    takes the new HTML without a navigation (its head too: a new title shows in the tab), and
    goes on following later saves."""
    page = browser.new_page(viewport={"width": 420, "height": 320})  # type: ignore[attr-defined]
    page.goto(serve.url + "briefs/minerals/")
    page.evaluate("window.__kept = 7; window.scrollTo(0, 200)")
    scrolled = page.evaluate("window.scrollY")
    assert scrolled > 100, "the page is taller than the window"
    brief = site_root / "content" / "briefs" / "minerals.md"
    text = brief.read_text()
    assert "title: China limits gallium exports" in text
    brief.write_text(
        text.replace("title: China limits gallium exports", "title: China curbs gallium exports")
        + "\nA new closing line.\n"
    )
    wait_text(page, "A new closing line.")
    assert page.evaluate("window.__kept") == 7, "no navigation"
    assert page.evaluate("window.scrollY") == scrolled
    assert "China curbs gallium exports" in page.title()
    assert page.locator("h1").inner_text() == "China curbs gallium exports"
    assert page.evaluate("document.querySelectorAll('script[src$=\"livereload.js\"]').length") == 1
    brief.write_text(brief.read_text() + "\nAnd one more.\n")
    wait_text(page, "And one more.")
    assert page.evaluate("window.__kept") == 7


def test_a_css_change_applies_without_a_reload(serve: ServeProcess, site_root: Path, browser: object) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(serve.url)
    page.evaluate("window.__kept = 42")
    css = site_root / "templates" / "static" / "style.css"
    css.write_text(css.read_text() + "\nhtml { color: rgb(1, 2, 3); }\n")
    page.wait_for_function("getComputedStyle(document.documentElement).color === 'rgb(1, 2, 3)'", timeout=10_000)
    assert page.evaluate("window.__kept") == 42
    # a later edit of the page is still taken in place, with the swapped stylesheet
    brief = site_root / "content" / "briefs" / "minerals.md"
    brief.write_text(brief.read_text().replace("title: China limits gallium exports", "title: Gallium, after the CSS"))
    wait_text(page, "Gallium, after the CSS")
    assert page.evaluate("window.__kept") == 42
    assert page.evaluate("getComputedStyle(document.documentElement).color") == "rgb(1, 2, 3)"


def test_a_css_change_saved_with_other_files_still_applies(
    serve: ServeProcess, site_root: Path, browser: object
) -> None:
    """One build for a CSS change and another page's change (a save of several files at once,
    a git checkout): the open page, which did not change, still gets the new CSS."""
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(serve.url + "briefs/older-brief/")
    css = site_root / "templates" / "static" / "style.css"
    brief = site_root / "content" / "briefs" / "minerals.md"
    css.write_text(css.read_text() + "\nhtml { color: rgb(4, 5, 6); }\n")
    brief.write_text(brief.read_text() + "\nSaved together with the CSS.\n")
    page.wait_for_function("getComputedStyle(document.documentElement).color === 'rgb(4, 5, 6)'", timeout=10_000)


def test_deleting_a_brief_removes_it_from_its_tag_page(serve: ServeProcess, site_root: Path, browser: object) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(serve.url + "tags/china/")
    assert "China limits gallium exports" in page.content()
    linking = site_root / "content" / "briefs" / "chip-rules.md"  # (a link to a deleted brief is an error)
    linking.write_text(linking.read_text().replace("[earlier brief](minerals.md)", "earlier brief"))
    (site_root / "content" / "briefs" / "minerals.md").unlink()
    page.wait_for_function(
        "!document.documentElement.textContent.includes('China limits gallium exports')", timeout=10_000
    )


def test_broken_front_matter_shows_an_overlay_until_fixed(
    serve: ServeProcess, site_root: Path, browser: object
) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(serve.url + "briefs/minerals/")
    brief = site_root / "content" / "briefs" / "minerals.md"
    good = brief.read_text()
    brief.write_text(good.replace("title: China limits gallium exports", 'title: "unclosed'))
    page.wait_for_selector("#digest-error-overlay", timeout=10_000)
    overlay = page.inner_text("#digest-error-overlay")
    assert "content/briefs/minerals.md:2: invalid YAML" in overlay
    assert get(serve, "/briefs/minerals/")[0] == 200, "the last good build is still served"
    brief.write_text(good.replace("Raw <b>HTML</b>", "Fixed again"))
    page.wait_for_selector("#digest-error-overlay", state="detached", timeout=10_000)
    wait_text(page, "Fixed again")


def test_a_burst_of_changes_causes_at_most_two_rebuilds(tmp_path: Path, browser: object) -> None:
    root = tmp_path / "burst"
    make_site(root, 200, seed=5)
    server = ServeProcess(root)
    try:
        page = browser.new_page()  # type: ignore[attr-defined]
        page.goto(server.url + "briefs/brief-199/")
        server.drain(0.5)
        before = sum("Rebuilding" in line for line in server.log)
        files = sorted((root / "content" / "briefs").glob("*.md"), key=lambda p: p.name != "brief-199.md")
        for n, path in enumerate(reversed(files)):
            path.write_text(path.read_text() + f"\nBurst marker {n}.\n")
        wait_text(page, "Burst marker 199.", timeout=20_000)
        log = server.drain(1.0)
        assert sum("Rebuilding" in line for line in log) - before <= 2, log
    finally:
        assert server.stop() == 0


def test_the_server_refuses_traversal_and_foreign_hosts(serve: ServeProcess, tmp_path: Path) -> None:
    assert get(serve, "/")[0] == 200
    for path in (
        "/../digest.yaml",
        "/%2e%2e/digest.yaml",
        "/%2E%2E%2Fdigest.yaml",
        "/briefs/..%5c..%5cdigest.yaml",
        "/..\\digest.yaml",
    ):
        status, _, body = get(serve, path)
        assert status in (400, 404) and b"title: Golden Digest" not in body, path
    for host in ("evil.example", "evil.example:80", "127.0.0.1.nip.io"):
        assert get(serve, "/", host=host)[0] == 403, host
    assert get(serve, "/", host="localhost")[0] == 200


def test_the_server_answers_like_a_static_host(serve: ServeProcess, site_root: Path) -> None:
    status, headers, body = get(serve, "/no/such/page/")
    assert status == 404 and b"Page not found" in body
    status, headers, _ = get(serve, "/tags")
    assert status == 301 and headers["location"] == "/tags/"
    assert get(serve, "/static/style.css")[1]["content-type"].startswith("text/css")
    assert get(serve, "/feed.xml")[1]["content-type"].startswith("application/xml")
    status, headers, body = get(serve, "/briefs/")
    assert status == 404, "no directory listings"
    outside = site_root.parent / "secret.txt"
    outside.write_text("secret")
    (site_root / ".digest-cache" / "serve" / "leak.txt").symlink_to(outside)
    assert get(serve, "/leak.txt")[0] == 404, "symlinks out of the site are not followed"


def test_follow_takes_the_browser_to_the_brief_just_saved(site_root: Path, browser: object) -> None:
    server = ServeProcess(site_root, "--follow")
    try:
        page = browser.new_page()  # type: ignore[attr-defined]
        page.goto(server.url)
        brief = site_root / "content" / "briefs" / "older-brief.md"
        brief.write_text(brief.read_text() + "\nFollowed here.\n")
        page.wait_for_url("**/briefs/older-brief/", timeout=10_000)
        wait_text(page, "Followed here.")
    finally:
        assert server.stop() == 0


def test_pages_reconnect_after_the_server_restarts(site_root: Path, browser: object) -> None:
    first = ServeProcess(site_root)
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(first.url + "briefs/minerals/")
    assert first.stop() == 0
    brief = site_root / "content" / "briefs" / "minerals.md"
    brief.write_text(brief.read_text() + "\nWritten while the server was down.\n")
    second = ServeProcess(site_root, port=first.port)
    try:
        wait_text(page, "Written while the server was down.", timeout=15_000)
    finally:
        assert second.stop() == 0


def test_many_live_reload_connections_do_not_block_pages(serve: ServeProcess) -> None:
    import socket

    sockets = []
    try:
        for _ in range(100):
            sock = socket.create_connection(("127.0.0.1", serve.port), timeout=10)
            sock.sendall(f"GET /__digest__/events?epoch=0 HTTP/1.1\r\nHost: 127.0.0.1:{serve.port}\r\n\r\n".encode())
            sockets.append(sock)
        for sock in sockets:
            assert sock.recv(4096).startswith(b"HTTP/1.1 200"), "every page gets its event stream"
        idle = [
            socket.create_connection(("127.0.0.1", serve.port), timeout=10) for _ in range(20)
        ]  # slow clients: connect, send nothing
        for _ in range(50):  # each request would time out if the connections above held the server up
            assert get(serve, "/")[0] == 200
        for sock in idle:
            sock.close()
    finally:
        for sock in sockets:
            sock.close()
    assert get(serve, "/tags/")[0] == 200


def test_a_source_dropped_into_the_inbox_becomes_a_brief_on_the_site(
    serve: ServeProcess, site_root: Path, browser: object
) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(serve.url + "tags/china/")
    inbox = site_root / "content" / "sources"
    inbox.mkdir()
    (inbox / "note.md").write_text("# Beijing opens a new chip fund\n\nChina announced a fund for chips. It is large.\n\n"
                                   "## Key points\n\n- The fund backs Chinese chipmakers.\n")  # fmt: skip
    serve.wait_for(r"import: created \S*content/briefs/beijing-opens-a-new-chip-fund\.md")
    wait_text(page, "Beijing opens a new chip fund", timeout=15_000)


def test_kill_stops_the_server_as_cleanly_as_ctrl_c(site_root: Path) -> None:
    server = ServeProcess(site_root)
    try:
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=10) == 0
        server.wait_for(r"^Stopping")
    finally:
        if server.process.poll() is None:
            os.killpg(server.process.pid, signal.SIGKILL)


def test_ctrl_c_stops_a_server_started_in_the_background_by_a_script(site_root: Path) -> None:
    """A script's `digest serve &` inherits an ignored SIGINT; Ctrl-C (kill -INT) still stops it."""
    process = subprocess.Popen(
        [sys.executable, "-c", "import signal, sys, runpy; signal.signal(signal.SIGINT, signal.SIG_IGN); "
         "sys.argv = ['digest', 'serve', '--root', sys.argv[1], '--port', '0']; runpy.run_module('digest', run_name='__main__')",
         str(site_root)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if "Serving" in line:
                break
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)


def test_a_save_the_watcher_missed_is_found_while_idle_and_built(site_root: Path) -> None:
    """Rebuilds read only the briefs the watcher named; a change it never reported (a lost
    event) is found by the check the server makes while idle, and the next build shows it."""
    import io

    from digest.serve.server import Server

    server = Server(site_root, "127.0.0.1", 0, out=io.StringIO(), err=io.StringIO())
    try:
        server.rebuild()
        brief = site_root / "content" / "briefs" / "minerals.md"
        brief.write_text(brief.read_text() + "\nWritten while nobody watched.\n")
        server.rebuild(set())  # a build for some other change: this brief is not looked at
        page = site_root / ".digest-cache" / "serve" / "briefs" / "minerals" / "index.html"
        assert "Written while nobody watched." not in page.read_text()
        server.verify()
        missed = server.changes.take()
        assert missed == {"content/briefs/minerals.md"}
        server.rebuild(missed)
        assert "Written while nobody watched." in page.read_text()
        server.verify()
        assert not server.changes.waiting(), "nothing else is out of date"
    finally:
        server.hub.close()
        server.httpd.server_close()  # (never served: nothing to shut down)
