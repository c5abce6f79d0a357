"""The command line's options, per command: what `digest --help` and each command's `--help` show."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from digest import __version__

EXIT_OK, EXIT_CONTENT, EXIT_USAGE = 0, 1, 2  # usage errors exit 2, content errors 1


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # usage errors exit 2, as argparse does, with our prefix
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"digest: error: {message}\n")


def make_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="digest", description="Build an AI-policy briefing digest: Markdown briefs in, a static site out."
    )
    parser.add_argument("--version", action="version", version=f"digest {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logging")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument(
            "--root", type=Path, default=Path("."), metavar="DIR", help="the site folder (default: current folder)"
        )
        return sub

    _build_options(command("build", "build the site into site/"))

    _check_options(command("check", "the build without writing anything: every error and warning of the site"))

    _serve_options(
        command("serve", "build the site with drafts, serve it, rebuild on every save and reload the browser")
    )

    _email_options(command("email", "an edition (default: the latest) as an email: WEEK.eml, WEEK.html and WEEK.txt"))

    i = commands.add_parser(
        "init",
        help="create a new briefing site",
        description="create a new briefing site with sample config, taxonomy and one brief",
    )
    i.add_argument(
        "dir", nargs="?", type=Path, default=Path("."), help="folder for the new site (default: current folder)"
    )

    n = command("new", "write a new draft brief and print its path")
    n.add_argument("title", help="the brief's title")
    n.add_argument("--tags", default="", help="comma-separated tags, e.g. china,export-controls")

    _import_options(
        command("import", "turn source documents (scraped text, HTML pages, Markdown notes, URLs, feeds) into briefs")
    )

    return parser


def _build_options(b: argparse.ArgumentParser) -> None:
    """`digest build`'s options."""
    b.add_argument("--drafts", action="store_true", help="include briefs marked draft: true")
    b.add_argument("--base-url", metavar="URL", help="override base_url from digest.yaml (may have a sub-path)")
    b.add_argument("--out", type=Path, metavar="DIR", help="output folder (default: site/ in the site folder)")
    _today_option(b)
    b.add_argument(
        "--clean", action="store_true", help="ignore the build cache (.digest-cache/): parse and render everything"
    )
    b.add_argument(
        "--jobs", "-j", type=positive, metavar="N", help="processes for large builds (default: the number of cores)"
    )
    b.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors")
    b.add_argument(
        "--no-wait",
        action="store_true",
        help="if another build of this site is running, exit 1 at once instead of waiting for it",
    )


def _check_options(c: argparse.ArgumentParser) -> None:
    """`digest check`'s options."""
    c.add_argument(
        "--drafts", action="store_true", help="check as a --drafts build would (drafts are always validated)"
    )
    c.add_argument("--base-url", metavar="URL", help="check as a build with this --base-url would")
    _today_option(c)
    c.add_argument("--strict", action="store_true", help="warnings are errors (exit 1): for CI before publishing")
    c.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")


def _serve_options(s: argparse.ArgumentParser) -> None:
    """`digest serve`'s options."""
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    s.add_argument("--port", type=int, default=8000, help="port (default: 8000; the next free one if it is busy)")
    s.add_argument(
        "--no-drafts",
        action="store_true",
        help="leave drafts out, as a production build does (the default off loopback)",
    )
    s.add_argument(
        "--drafts",
        action="store_true",
        help="include drafts even when --host is not a loopback address (they are included on loopback anyway)",
    )
    s.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME",
        help="also answer requests whose Host header is NAME (repeatable; by default only localhost, "
        "127.0.0.1, [::1] and the --host address)",
    )
    s.add_argument("--open", action="store_true", help="open the site in a web browser")
    s.add_argument("--follow", action="store_true", help="when you save a brief, the browser goes to its page")
    _today_option(s)


def _email_options(e: argparse.ArgumentParser) -> None:
    """`digest email`'s arguments and options."""
    e.add_argument(
        "week", nargs="?", metavar="WEEK", help="the edition's ISO week, e.g. 2025-W04 (default: the latest)"
    )
    e.add_argument("--out", type=Path, metavar="DIR", help="folder for the files (default: email/ in the site folder)")
    e.add_argument("--send", action="store_true", help="also deliver it over SMTP (--smtp, --from, --to)")
    e.add_argument("--smtp", metavar="HOST:PORT", help="the SMTP server to send through")
    e.add_argument("--from", dest="sender", metavar="ADDRESS", help="the sender (default: email.from in digest.yaml)")
    e.add_argument("--to", nargs="+", default=[], metavar="ADDRESS", help="the recipients")
    e.add_argument("--starttls", action="store_true", help="switch to TLS with STARTTLS before sending")
    e.add_argument("--user", metavar="NAME", help="log in as NAME (the password from DIGEST_SMTP_PASSWORD)")
    e.add_argument("--dry-run", action="store_true", help="with --send: say what would be sent, send nothing")


def _import_options(m: argparse.ArgumentParser) -> None:
    """`digest import`'s arguments and options."""
    m.add_argument(
        "paths", nargs="*", metavar="PATH", help="source files, folders (searched recursively), globs or http(s) URLs"
    )
    m.add_argument(
        "--feed", action="append", default=[], metavar="URL|FILE", help="an RSS or Atom feed: its new entries"
    )
    m.add_argument("--timeout", type=float, default=20.0, metavar="SECONDS", help="for URLs and feeds (default: 20)")
    m.add_argument(
        "--out", type=Path, metavar="DIR", help="folder for new briefs (default: content/briefs in the site)"
    )
    m.add_argument(
        "--date", metavar="YYYY-MM-DD", help="the date of every imported brief (default: found in the source)"
    )
    m.add_argument("--tags", default="", help="comma-separated tags added to every brief, e.g. china,chips")
    m.add_argument("--dry-run", action="store_true", help="report what would happen; write nothing")
    m.add_argument("--force", action="store_true", help="overwrite briefs edited since import (a backup is kept first)")
    m.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    # The paths come from a watcher of the site (`digest serve`'s inbox), not from the writer:
    # they are read only as a folder search would read them (no hidden file, no link out of the site).
    m.add_argument("--watched", action="store_true", help=argparse.SUPPRESS)


def _today_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--today",
        type=_date,
        metavar="YYYY-MM-DD",
        help="the build's date, from which milestones are upcoming (default: today in the site's time zone)",
    )


def _date(text: str) -> dt.date:
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}")


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value
