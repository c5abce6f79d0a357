"""The email edition: a weekly edition as a message (`digest email`), written to files and
optionally delivered over SMTP.

The HTML part is rendered from the theme's `email.html` (tables, 600 px at most) and its CSS is
inlined with css-inline, since mail clients drop or ignore style sheets; the plain-text part is
rendered from `email.txt`, a real text edition rather than the HTML stripped of its tags. Every
link is absolute (a message has no base URL), and nothing loads from elsewhere.
"""

from __future__ import annotations

import html as html_module
import os
import re
import smtplib
import ssl
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit

import css_inline
from markupsafe import Markup

from digest.content.config import Config
from digest.content.editorial import load_editions
from digest.content.load import load_content
from digest.content.markup import resolve_links
from digest.core.dates import longdate
from digest.core.errors import ContentError
from digest.core.model import Brief
from digest.site.arrange import Site, build_site
from digest.site.editions import Edition, edition_settings, with_editions
from digest.theme.environment import make_environment

EMAIL_HTML = "email.html"
EMAIL_TEXT = "email.txt"
PASSWORD_VARIABLE = "DIGEST_SMTP_PASSWORD"
TEXT_WIDTH = 72
_TAG = re.compile(r"<[^>]*>")


class EmailError(Exception):
    """A problem the command line reports in one line (exit 2 for `usage`, else 1)."""

    def __init__(self, message: str, *, usage: bool = False) -> None:
        super().__init__(message)
        self.usage = usage


@dataclass(frozen=True)
class EmailEdition:
    key: str  # `2025-W04`
    subject: str
    html: str
    text: str
    sender: str | None  # from digest.yaml `email.from`, if set


def load_site(config: Config) -> Site:
    """The site as a build arranges it (briefs, tags, editions); ContentError as a build's."""
    taxonomy, loaded = load_content(config)
    files, problems = load_editions(config.root)
    settings, setting_problems = edition_settings(config, taxonomy)
    site = build_site(config, taxonomy, loaded.briefs)
    site, errors = with_editions(site, files, settings)
    if problems or setting_problems or errors:
        raise ContentError([*problems, *setting_problems, *errors])
    return site


def pick_edition(site: Site, week: str | None) -> Edition:
    """The edition of `week` (`2025-W04`), or the latest; EmailError (usage) if there is none."""
    if not site.editions:
        raise EmailError("the site has no published brief, so no edition; expected at least one brief")
    if week is None:
        return site.editions[0]
    for edition in site.editions:
        if edition.key == week:
            return edition
    known = ", ".join(e.key for e in site.editions[:5])
    raise EmailError(f"no edition {week}; expected a week with briefs, such as {known}", usage=True)


def plain(html: str) -> str:
    """Text of an HTML fragment: tags dropped, entities decoded, whitespace collapsed."""
    return " ".join(html_module.unescape(_TAG.sub("", html)).split())


def wrap(text: str, indent: str = "", first: str | None = None) -> str:
    """`text` wrapped to the text edition's width."""
    return textwrap.fill(
        text,
        TEXT_WIDTH,
        initial_indent=indent if first is None else first,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


def render_email(site: Site, edition: Edition) -> EmailEdition:
    """The edition's HTML (CSS inlined) and text parts."""
    config = site.config

    def absolute(path: str) -> str:
        return config.origin + config.base_path + path.lstrip("/")

    def resolve(kind: str, target: str) -> str:
        if kind == "root":
            return absolute(target)
        parts = urlsplit(target)
        slug = parts.path.rsplit("/", 1)[-1].removesuffix(".md")
        return absolute(f"/briefs/{slug}/") + (f"#{parts.fragment}" if parts.fragment else "")

    def key_points(brief: Brief) -> list[Markup]:
        return [Markup(resolve_links(point, resolve)) for point in brief.key_points_html]

    def brief_url(brief: Brief) -> str:
        return absolute(f"/briefs/{brief.slug}/")

    def tag_labels(brief: Brief) -> list[str]:
        return [site.tags[slug].label for slug in brief.tags if slug in site.tags]

    note_html = Markup(resolve_links(edition.note_html, resolve))
    values = {
        "site": config,
        "edition": edition,
        "edition_url": absolute(edition.url),
        "home_url": absolute("/"),
        "weeks_url": absolute("/weeks/"),
        "feed_url": absolute("/feed.xml"),
        "signup_url": site.edition_settings.signup_url,
        "note_html": note_html,
        "key_points": key_points,
        "brief_url": brief_url,
        "tag_labels": tag_labels,
        "longdate": longdate,
        "plain": plain,
        "wrap": wrap,
        "preheader": edition.summary,
    }
    env = make_environment(config.root)
    page = env.get_template(EMAIL_HTML).render(**values)
    inliner = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False, minify_css=True)
    text = env.get_template(EMAIL_TEXT).render(**values)
    subject = f"{config.title} No. {edition.number}: {edition.title}"
    inlined = inliner.inline(page).rstrip("\n") + "\n"
    return EmailEdition(edition.key, subject, inlined, _tidy(text), site.edition_settings.sender)


def _tidy(text: str) -> str:
    """No trailing spaces, at most one blank line in a row, one newline at the end."""
    lines = [line.rstrip() for line in text.splitlines()]
    tidy: list[str] = []
    for line in lines:
        if line or (tidy and tidy[-1]):
            tidy.append(line)
    return "\n".join(tidy).strip("\n") + "\n"


def make_message(email: EmailEdition, sender: str | None, recipients: Sequence[str]) -> EmailMessage:
    """multipart/alternative: the text part first, then the HTML (which clients prefer)."""
    message = EmailMessage(policy=SMTP)
    message["Subject"] = email.subject
    if sender:
        message["From"] = sender
    if recipients:
        message["To"] = ", ".join(recipients)
    message.set_content(email.text, cte="quoted-printable")
    message.add_alternative(email.html, subtype="html", cte="quoted-printable")
    return message


def write_email(email: EmailEdition, message: EmailMessage, out: Path) -> list[Path]:
    """WEEK.eml, WEEK.html and WEEK.txt in `out` (made if missing)."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for suffix, data in (
        (".eml", message.as_bytes()),
        (".html", email.html.encode()),
        (".txt", email.text.encode()),
    ):
        path = out / f"{email.key}{suffix}"
        path.write_bytes(data)
        written.append(path)
    return written


def parse_server(value: str) -> tuple[str, int]:
    """`HOST:PORT` (or `HOST`, port 25); EmailError (usage) if it is not one."""
    host, _, port = value.rpartition(":") if ":" in value else (value, "", "25")
    host = host.strip("[]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise EmailError(f"--smtp must be HOST:PORT, got {value!r}; expected e.g. smtp.example.org:587", usage=True)
    return host, int(port)


def check_address(value: str, option: str) -> str:
    address = parseaddr(value)[1]
    if "@" not in address or address.startswith("@") or address.endswith("@"):
        raise EmailError(
            f"{option} must be an email address, got {value!r}; expected e.g. editor@example.org", usage=True
        )
    return value


def send(
    message: EmailMessage,
    server: tuple[str, int],
    sender: str,
    recipients: Sequence[str],
    *,
    starttls: bool = False,
    user: str | None = None,
    password: str | None = None,
    timeout: float = 30.0,
) -> None:
    """Deliver `message` over SMTP: STARTTLS first when asked (the server's certificate checked),
    then login when a user is given. EmailError on any failure."""
    host, port = server
    try:
        with smtplib.SMTP(host, port, timeout=timeout) as client:
            client.ehlo()
            if starttls:
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if user is not None:
                client.login(user, password or "")
            refused = client.send_message(message, from_addr=parseaddr(sender)[1], to_addrs=list(recipients))
    except smtplib.SMTPAuthenticationError as exc:
        raise EmailError(f"the SMTP server {host}:{port} refused the login: {_smtp_reason(exc)}") from None
    except smtplib.SMTPException as exc:
        raise EmailError(f"cannot send through {host}:{port}: {_smtp_reason(exc)}") from None
    except OSError as exc:
        raise EmailError(f"cannot reach the SMTP server {host}:{port}: {exc.strerror or exc}") from None
    if refused:
        raise EmailError(f"the SMTP server refused {', '.join(sorted(refused))}")


def _smtp_reason(exc: smtplib.SMTPException) -> str:
    error = getattr(exc, "smtp_error", None)
    if isinstance(error, bytes):
        return error.decode(errors="replace")
    return str(exc) or type(exc).__name__


def password_from_environment() -> str:
    password = os.environ.get(PASSWORD_VARIABLE)
    if password is None:
        raise EmailError(f"--user needs the password in the environment variable {PASSWORD_VARIABLE}", usage=True)
    return password


def email_command(config: Config, args: object) -> list[str]:
    """`digest email` (arguments as argparse gives them): the lines it prints."""
    week: str | None = getattr(args, "week", None)
    send_it: bool = getattr(args, "send", False)
    dry_run: bool = getattr(args, "dry_run", False)
    recipients: list[str] = [check_address(a, "--to") for a in getattr(args, "to", [])]
    server = None
    sender: str | None = getattr(args, "sender", None)
    if send_it:
        smtp_option: str | None = getattr(args, "smtp", None)
        if not smtp_option:
            raise EmailError("--send needs --smtp HOST:PORT", usage=True)
        server = parse_server(smtp_option)
        if not recipients:
            raise EmailError("--send needs at least one --to ADDRESS", usage=True)
    elif dry_run:
        raise EmailError("--dry-run goes with --send; expected --send --dry-run", usage=True)
    if week is not None and not re.fullmatch(r"\d{4}-W\d{2}", week):
        raise EmailError(f"WEEK must be an ISO week such as 2025-W04, got {week!r}", usage=True)
    site = load_site(config)
    edition = pick_edition(site, week)
    email = render_email(site, edition)
    sender = sender or email.sender
    if sender is not None:
        check_address(sender, "--from")
    if send_it and sender is None:
        raise EmailError("--send needs --from ADDRESS (or email.from in digest.yaml)", usage=True)
    message = make_message(email, sender, recipients)
    out: Path = getattr(args, "out", None) or config.root / "email"
    written = write_email(email, message, out)
    lines = [f"wrote {path}" for path in written]
    size = len(email.html.encode())
    count = len(edition.briefs)
    briefs = f"{count} {'brief' if count == 1 else 'briefs'}"
    lines.append(f"No. {edition.number} ({edition.key}): {briefs}, HTML {size / 1024:.1f} KB")
    if send_it and server is not None and sender is not None:
        user: str | None = getattr(args, "user", None)
        starttls: bool = getattr(args, "starttls", False)
        how = (" with STARTTLS" if starttls else "") + (f" as {user}" if user else "")
        if dry_run:
            lines.append(
                f"dry run: would send '{email.subject}' from {sender} to {', '.join(recipients)} "
                f"through {server[0]}:{server[1]}{how}"
            )
        else:
            password = password_from_environment() if user is not None else None
            send(message, server, sender, recipients, starttls=starttls, user=user, password=password)
            lines.append(f"sent '{email.subject}' to {', '.join(recipients)} through {server[0]}:{server[1]}{how}")
    return lines
