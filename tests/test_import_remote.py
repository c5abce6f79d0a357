"""`digest import URL...`, `digest import --feed URL|FILE` and near-duplicates, against a local
HTTP server on 127.0.0.1: each failure is one line naming the URL, a feed imported twice
imports nothing new, a story already imported is reported as a duplicate."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from digest.cli import main
from digest.content.frontmatter import split
from tests.conftest import REPO

LEAD = (
    "The ministry published binding rules for public chatbots on Tuesday, giving providers six months "
    "to label generated text and to register every system with the national regulator."
)
BODY = (
    "Officials said the register would be public and searchable. Providers that miss the deadline face "
    "fines of up to two percent of turnover. The rules follow a consultation that drew more than four "
    "hundred responses from industry, universities and civil society groups across the country."
)


def page(title: str, canonical: str | None = None, lead: str = LEAD, body: str = BODY) -> bytes:
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    return (
        f"<!doctype html><html><head><title>{title}</title>{link}"
        '<meta property="article:published_time" content="2023-10-17T09:00:00Z"></head>'
        f"<body><article><h1>{title}</h1><p>{lead}</p><p>{body}</p></article></body></html>"
    ).encode()


Route = tuple[int, dict[str, str], bytes]


@contextmanager
def serve(routes: dict[str, Route | Callable[[], Route]]) -> Iterator[str]:
    """A server on a free loopback port answering `routes` (path -> status, headers, body)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            route = routes.get(self.path, (404, {"Content-Type": "text/plain"}, b"not found"))
            status, headers, body = route() if callable(route) else route
            self.send_response(status)
            for name, value in headers.items():
                if value:  # an empty value: the header is left out (the body then ends with the connection)
                    self.send_header(name, value)
            if "Content-Length" not in headers:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def new_site(tmp_path: Path) -> Path:
    root = tmp_path / "site-root"
    (root / "content" / "briefs").mkdir(parents=True)
    shutil.copy(REPO / "digest.yaml", root / "digest.yaml")
    shutil.copy(REPO / "content" / "tags.yaml", root / "content" / "tags.yaml")
    return root


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def briefs(root: Path) -> dict[str, dict[str, Any]]:
    return {
        p.name: split(p.read_text(encoding="utf-8")).meta.data
        for p in sorted((root / "content" / "briefs").glob("*.md"))
    }


HTML = {"Content-Type": "text/html; charset=utf-8"}


def test_a_url_is_fetched_through_redirects_and_keeps_its_canonical_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = new_site(tmp_path)
    routes: dict[str, Any] = {
        "/old": (301, {"Location": "/story"}, b""),
        "/story": (
            200,
            HTML,
            page("Ministry Sets Rules for Public Chatbots", "https://news.example.org/chatbot-rules"),
        ),
    }
    with serve(routes) as origin:
        code, out, err = run(capsys, "import", f"{origin}/old", "--root", str(root))
    assert code == 0, err
    assert out.startswith("created ") and "ministry-sets-rules-for-public-chatbots.md" in out
    (meta,) = briefs(root).values()
    assert meta["title"] == "Ministry Sets Rules for Public Chatbots"
    assert meta["source"]["url"] == "https://news.example.org/chatbot-rules"
    assert meta["date"] == "2023-10-17"
    assert meta["draft"] is True
    assert meta["imported_from"]["file"] == f"{origin}/old"


def test_a_page_without_a_canonical_url_keeps_the_url_it_was_found_at(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = new_site(tmp_path)
    routes: dict[str, Any] = {
        "/a": (302, {"Location": "/b"}, b""),
        "/b": (200, HTML, page("Ministry Sets Rules for Public Chatbots")),
    }
    with serve(routes) as origin:
        code, _, err = run(capsys, "import", f"{origin}/a", "--root", str(root))
    assert code == 0, err
    (meta,) = briefs(root).values()
    assert meta["source"]["url"] == f"{origin}/b"


def _slow() -> Route:
    time.sleep(3)
    return 200, HTML, page("Too Late")


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/missing", "{url}: the server answered 404 Not Found; expected an HTML page"),
        ("/data.json", "{url}: the server sent application/json; expected an HTML page (text/html)"),
        ("/huge", "{url}: the document is 5,000,000 bytes; expected at most 4,194,304 bytes"),
        ("/loop", "{url}: more than 5 redirects; expected an HTML page within 5"),
        ("/slow", "{url}: no answer within 0.5 s; expected a server that answers (see --timeout)"),
    ],
)
def test_a_url_that_gives_no_page_is_one_line_and_the_others_still_import(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], path: str, message: str
) -> None:
    root = new_site(tmp_path)
    routes: dict[str, Any] = {
        "/data.json": (200, {"Content-Type": "application/json"}, b"{}"),
        "/huge": (200, {**HTML, "Content-Length": "5000000"}, b"<html>" + b" " * 1000),
        "/loop": (302, {"Location": "/loop"}, b""),
        "/slow": _slow,
        "/good": (200, HTML, page("Ministry Sets Rules for Public Chatbots")),
    }
    with serve(routes) as origin:
        url = f"{origin}{path}"
        code, out, err = run(capsys, "import", url, f"{origin}/good", "--timeout", "0.5", "--root", str(root))
    assert code == 1
    assert err == f"skipped {message.format(url=url)}\n"
    assert "1 created, 1 failed" in out
    assert len(briefs(root)) == 1


def test_a_huge_body_without_a_length_is_cut_off(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = new_site(tmp_path)
    body = b"<html><body><p>" + b"word " * 1_000_000 + b"</p></body></html>"
    with serve({"/big": (200, {**HTML, "Content-Length": ""}, body)}) as origin:
        code, _, err = run(capsys, "import", f"{origin}/big", "--root", str(root))
    assert code == 1
    assert err == f"skipped {origin}/big: the document is more than 4,194,304 bytes; expected at most 4,194,304 bytes\n"


def test_nothing_to_import_and_a_bad_timeout_are_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "import", "--root", str(REPO))[0] == 2
    assert run(capsys, "import", "x.txt", "--timeout", "0", "--root", str(REPO))[0] == 2


WIRE = (
    "The ministry published binding rules for public chatbots on Tuesday, giving providers six months to label "
    "generated text and to register every system with the national regulator. Officials said the register would "
    "be public and searchable, and that providers that miss the deadline face fines of up to two percent of their "
    "turnover. The rules follow a consultation that drew more than four hundred responses from industry, "
    "universities and civil society groups across the country, and they apply to every chatbot that a public "
    "body offers to residents, whether it answers questions about taxes, benefits or the opening hours of offices."
)


def test_a_story_already_imported_is_reported_as_a_duplicate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = new_site(tmp_path)
    first = tmp_path / "wire-one.txt"
    first.write_text(f"Ministry Sets Rules for Public Chatbots\n\n{WIRE}\n", encoding="utf-8")
    second = tmp_path / "wire-two.txt"  # the same wire story on another site, with its own title and a line more
    second.write_text(
        f"Chatbot Rules Arrive From the Ministry | News | Other Site\n\n{WIRE}\n\nMore on this story soon.\n",
        encoding="utf-8",
    )
    assert run(capsys, "import", str(first), "--root", str(root))[0] == 0
    code, out, _ = run(capsys, "import", str(second), "--root", str(root))
    assert code == 0
    brief = root / "content" / "briefs" / "ministry-sets-rules-for-public-chatbots.md"
    assert out.startswith(
        f"skipped {second}: duplicate of {brief} (similarity 1.00); use --force to import it anyway\n"
    )
    assert len(briefs(root)) == 1
    code, out, _ = run(capsys, "import", str(second), "--force", "--root", str(root))
    assert code == 0 and out.startswith("created ") and len(briefs(root)) == 2


def test_a_duplicate_within_one_import_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = new_site(tmp_path)
    folder = tmp_path / "sources"
    folder.mkdir()
    (folder / "a.txt").write_text(f"Ministry Sets Rules for Public Chatbots\n\n{WIRE}\n", encoding="utf-8")
    (folder / "b.txt").write_text(f"Public Chatbots Get Rules\n\nBy Ana Smith\n\n{WIRE[:-60]}\n", encoding="utf-8")
    code, out, _ = run(capsys, "import", str(folder), "--root", str(root))
    assert code == 0
    brief = root / "content" / "briefs" / "ministry-sets-rules-for-public-chatbots.md"
    assert f"skipped {folder / 'b.txt'}: duplicate of {brief} (similarity " in out
    assert len(briefs(root)) == 1


def feed(origin: str) -> bytes:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<title>Policy Wire</title><link>{origin}/</link><description>News</description>
<item><guid>tag:policy-wire,2023:1</guid><title>Ministry Sets Rules for Public Chatbots</title>
<link>{origin}/chatbots</link><pubDate>Tue, 17 Oct 2023 09:00:00 GMT</pubDate>
<content:encoded><![CDATA[<p>{WIRE}</p><p>{BODY}</p>]]></content:encoded></item>
<item><guid>tag:policy-wire,2023:2</guid><title>Regulator Opens a Register of Chatbots</title>
<link>{origin}/register</link><description>A short teaser.</description></item>
</channel></rss>""".encode()


def test_a_feed_imported_twice_imports_nothing_new(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = new_site(tmp_path)
    register = page(
        "Regulator Opens a Register of Chatbots",
        lead="The national regulator opened its public register of chatbots on Wednesday, listing every system "
        "that public bodies offer to residents.",
        body="Each entry names the provider, the service and the date of the last audit. The register can be "
        "searched by region and by provider, and it is updated every week by the regulator's staff.",
    )
    routes: dict[str, Any] = {"/register": (200, HTML, register)}
    with serve(routes) as origin:
        feed_file = tmp_path / "policy-wire.xml"
        feed_file.write_bytes(feed(origin))
        routes["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"}, feed(origin))
        code, out, err = run(capsys, "import", "--feed", str(feed_file), "--root", str(root))
        assert code == 0, err
        assert out.count("created ") == 2
        made = briefs(root)
        titles = sorted(meta["title"] for meta in made.values())
        assert titles == ["Ministry Sets Rules for Public Chatbots", "Regulator Opens a Register of Chatbots"]
        dated = next(m for m in made.values() if m["title"].startswith("Ministry"))
        assert dated["date"] == "2023-10-17" and dated["source"]["url"] == f"{origin}/chatbots"
        state = root / "content" / "sources" / "imported-feeds.json"
        assert state.is_file()

        code, out, _ = run(capsys, "import", "--feed", f"{origin}/feed.xml", "--root", str(root))
        assert code == 0
        assert "created" not in out
        assert (
            f"{origin}/feed.xml: 2 of 2 entries imported before (listed in content/sources/imported-feeds.json)" in out
        )
        assert len(briefs(root)) == 2


def test_a_feed_that_is_not_one_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = new_site(tmp_path)
    with serve({"/feed": (200, HTML, page("Not a Feed"))}) as origin:
        code, _, err = run(capsys, "import", "--feed", f"{origin}/feed", "--root", str(root))
    assert code == 1
    assert (
        err == f"skipped {origin}/feed: the server sent text/html; expected an RSS or Atom feed (application/rss+xml)\n"
    )
