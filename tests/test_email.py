"""`digest email`: an edition as an email (multipart/alternative, CSS inlined, absolute links,
under Gmail's clipping size), written to files and delivered to a local SMTP server."""

from __future__ import annotations

import email
import html
import random
import re
import shutil
import socket
import subprocess
import sys
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from digest.cli import main
from tests.conftest import REPO, serve_folder

if TYPE_CHECKING:
    from playwright.sync_api import Browser

GMAIL_CLIPS_AT = 102 * 1024
WORDS = [
    "export",
    "controls",
    "chips",
    "compute",
    "model",
    "providers",
    "regulators",
    "commission",
    "licence",
    "rule",
    "framework",
    "threshold",
    "training",
    "data",
    "centres",
    "investment",
    "safety",
    "evaluation",
    "obligations",
    "guidance",
    "transparency",
    "ministry",
    "standard",
]


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def big_edition(root: Path, count: int = 25) -> Path:
    """A site whose week 2025-W04 has `count` briefs of realistic length (summary, why it
    matters, five key points, tags), and an editor's note."""
    rng = random.Random(22)
    shutil.copytree(REPO / "content", root / "content")
    shutil.rmtree(root / "content" / "briefs")
    (root / "content" / "briefs").mkdir()
    (root / "digest.yaml").write_text(
        "title: AI Policy Digest\nbase_url: https://digest.example.net/sub/\n"
        "email: {from: 'Digest <digest@digest.example.net>', signup_url: 'https://lists.example.net/join'}\n"
    )
    tags = ["china", "united-states", "export-controls", "chips", "eu", "regulation"]
    for n in range(count):
        points = "\n".join(f"  - {sentence(rng, 14)}" for _ in range(5))
        (root / "content" / "briefs" / f"story-{n}.md").write_text(
            f"---\ntitle: Story number {n} on {rng.choice(WORDS)}\ndate: 2025-01-{20 + n % 7:02d}\n"
            f"summary: {sentence(rng, 25)} {sentence(rng, 15)}\nwhy_it_matters: {sentence(rng, 28)}\n"
            f"key_points:\n{points}\ntags: [{', '.join(rng.sample(tags, 3))}]\n"
            f"source: {{name: Source {n}, url: 'https://news.example.com/{n}', published: 2025-01-20}}\n---\n"
            f"{sentence(rng, 40)}\n"
        )
    shutil.rmtree(root / "content" / "editions")  # (the sample's notes are about its own briefs)
    (root / "content" / "editions").mkdir()
    (root / "content" / "editions" / "2025-W04.md").write_text(
        "---\ntitle: A week of rules\ntop: story-3\n---\nRules everywhere this week. See [the lead](story-3.md).\n"
    )
    return root


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = big_edition(tmp_path_factory.mktemp("email") / "site-root")
    out = root / "mail"
    done = subprocess.run(
        [sys.executable, "-m", "digest", "email", "2025-W04", "--out", str(out)],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    titles = sorted(p.read_text().split("\n")[1].removeprefix("title: ") for p in root.glob("content/briefs/*.md"))
    return {"root": root, "out": out, "titles": titles, "stdout": done.stdout}


def parts(eml: bytes) -> tuple[EmailMessage, str, str]:
    message = email.message_from_bytes(eml, policy=default)
    assert isinstance(message, EmailMessage)
    text = message.get_body(("plain",))
    page = message.get_body(("html",))
    assert text is not None and page is not None
    return message, text.get_content(), page.get_content()


def test_the_email_is_multipart_alternative_with_every_brief_in_both_parts(written: dict[str, Any]) -> None:
    out: Path = written["out"]
    assert sorted(p.name for p in out.iterdir()) == ["2025-W04.eml", "2025-W04.html", "2025-W04.txt"]
    message, text, page = parts((out / "2025-W04.eml").read_bytes())
    assert message.get_content_type() == "multipart/alternative"
    assert message["Subject"] == "AI Policy Digest No. 1: A week of rules"
    assert message["From"] == "Digest <digest@digest.example.net>"
    shown = html.unescape(page)
    for title in written["titles"]:
        assert title in text, f"{title!r} missing from the text part"
        assert title in shown, f"{title!r} missing from the HTML part"
    assert text.replace("\r\n", "\n") == (out / "2025-W04.txt").read_text()
    assert page.replace("\r\n", "\n") == (out / "2025-W04.html").read_text()


def test_the_text_part_is_a_text_edition(written: dict[str, Any]) -> None:
    text = (written["out"] / "2025-W04.txt").read_text()
    assert "<" not in text and "&amp;" not in text, "no markup in the text part"
    assert max(len(line) for line in text.splitlines() if not line.startswith(("Read", "Every", "Atom", "Sub"))) <= 72
    assert text.index("EDITOR'S NOTE") < text.index("LEAD STORY") < text.index("Story number 3 ")
    assert "Why it matters:" in text
    assert "Read more: https://digest.example.net/sub/briefs/story-3/" in text
    assert "- " in text, "key points as a list"


def test_the_html_is_inlined_absolute_small_and_has_a_preheader(written: dict[str, Any]) -> None:
    page = (written["out"] / "2025-W04.html").read_text()
    assert len(page.encode()) < GMAIL_CLIPS_AT, f"{len(page.encode())} bytes: Gmail clips the message"
    assert not re.search(r"<(link|script)\b", page, re.IGNORECASE)
    assert re.search(r'<h1 style="[^"]+"', page) and re.search(r'<td class="brief" style="[^"]+"', page)
    assert "<table" in page and 'width="600"' in page
    for url in re.findall(r'(?:href|src)="([^"]*)"', page):
        assert url.startswith(("https://", "http://", "mailto:")), f"relative link {url!r}"
    assert 'href="https://digest.example.net/sub/briefs/story-3/"' in page  # (the note's link to a brief file)
    assert re.search(
        r'<div class="preheader" style="[^"]*display: ?none[^"]*">Rules everywhere this week\.</div>', page
    )
    assert "prefers-color-scheme: dark" in page and 'name="color-scheme"' in page


@pytest.mark.parametrize("width", [600, 375])
def test_the_html_does_not_scroll_sideways(browser: Browser, written: dict[str, Any], width: int) -> None:
    with serve_folder(written["out"]) as origin:
        context = browser.new_context(viewport={"width": width, "height": 800})
        try:
            tab = context.new_page()
            tab.goto(f"{origin}/2025-W04.html")
            overflow = tab.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        finally:
            context.close()
    assert overflow <= 0, f"the email scrolls sideways by {overflow} px at {width} px"


class Inbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server() -> Any:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = data.login == b"editor" and data.password == b"s3cret"
        return AuthResult(success=ok, handled=False)

    inbox = Inbox()
    with socket.socket() as probe:  # (a free port: the controller connects to its own to see it listen)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=authenticate, auth_require_tls=False)
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


def test_send_delivers_it_to_an_smtp_server(
    written: dict[str, Any], smtp_server: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    controller, inbox = smtp_server
    server = f"127.0.0.1:{controller.port}"
    argv = ["email", "--root", str(written["root"]), "--out", str(tmp_path / "out"), "--send", "--smtp", server]
    code = main([*argv, "--to", "a@example.org", "b@example.org"])
    assert code == 0, capsys.readouterr().err
    assert len(inbox.received) == 1
    sender, recipients, data = inbox.received[0]
    assert sender == "digest@digest.example.net" and recipients == ["a@example.org", "b@example.org"]
    _, text, page = parts(data)
    assert all(title in text for title in written["titles"])
    assert "A week of rules" in page


def test_send_logs_in_with_the_password_from_the_environment(
    written: dict[str, Any], smtp_server: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    controller, inbox = smtp_server
    server = f"127.0.0.1:{controller.port}"
    argv = ["email", "--root", str(written["root"]), "--out", str(tmp_path), "--send", "--smtp", server, "--user"]
    monkeypatch.delenv("DIGEST_SMTP_PASSWORD", raising=False)
    assert main([*argv, "editor", "--to", "a@example.org"]) == 2
    assert "DIGEST_SMTP_PASSWORD" in capsys.readouterr().err
    monkeypatch.setenv("DIGEST_SMTP_PASSWORD", "wrong")
    assert main([*argv, "editor", "--to", "a@example.org"]) == 1
    assert "refused the login" in capsys.readouterr().err
    assert not inbox.received
    monkeypatch.setenv("DIGEST_SMTP_PASSWORD", "s3cret")
    assert main([*argv, "editor", "--to", "a@example.org"]) == 0, capsys.readouterr().err
    assert len(inbox.received) == 1


def test_a_dry_run_sends_nothing(written: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # (port 9 on loopback: nothing listens, so a real attempt would fail)
    argv = ["email", "--root", str(written["root"]), "--out", str(tmp_path), "--send", "--smtp", "127.0.0.1:9"]
    assert main([*argv, "--to", "a@example.org", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "dry run: would send 'AI Policy Digest No. 1: A week of rules'" in out
    assert (tmp_path / "2025-W04.eml").is_file()
    assert main([*argv, "--to", "a@example.org"]) == 1
    assert "cannot reach the SMTP server 127.0.0.1:9" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["2025-W09"], "no edition 2025-W09; expected a week with briefs, such as 2025-W04"),
        (["week-4"], "WEEK must be an ISO week such as 2025-W04, got 'week-4'"),
        (["--send", "--to", "a@example.org"], "--send needs --smtp HOST:PORT"),
        (["--send", "--smtp", "localhost:25"], "--send needs at least one --to ADDRESS"),
        (["--send", "--smtp", "localhost:x", "--to", "a@example.org"], "--smtp must be HOST:PORT, got 'localhost:x'"),
        (["--to", "not-an-address"], "--to must be an email address, got 'not-an-address'"),
    ],
)
def test_usage_errors_exit_2(
    written: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(["email", "--root", str(written["root"]), "--out", str(tmp_path / "x"), *argv]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_the_sample_sites_latest_edition_as_email(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["email", "--root", str(REPO), "--out", str(tmp_path)]) == 0, capsys.readouterr().err
    (eml,) = tmp_path.glob("*.eml")
    _, text, page = parts(eml.read_bytes())
    assert text.strip() and "<table" in page
