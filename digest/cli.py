"""The `digest` command line: parses arguments, calls one stage, prints results."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import json
import logging
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from digest import __version__
from digest.build.entry import build, open_config
from digest.build.progress import ProgressLine, summary
from digest.build.writer import OutputError, RefusedFolder
from digest.content.config import CONFIG_FILE, Config, check_base_url, find_site, normalize_base_url
from digest.core.errors import ContentError

if TYPE_CHECKING:
    from digest.core.model import Taxonomy

EXIT_OK, EXIT_CONTENT, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # usage errors exit 2, as argparse does, with our prefix
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"digest: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
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
        "--jobs", "-j", type=_positive, metavar="N", help="processes for large builds (default: the number of cores)"
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING, format="%(levelname)s: %(message)s")
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    if args.command != "init":
        usage = _find_site(args)
        if usage is not None:
            return _usage(usage)
    try:
        return _COMMANDS[args.command](args)
    except ContentError as exc:
        for problem in sorted((*exc.problems, *exc.warnings)):
            print(problem, file=sys.stderr)
        count = len(exc.problems)
        print(f"digest: {count} {'error' if count == 1 else 'errors'}; nothing was written", file=sys.stderr)
        return EXIT_CONTENT
    except RefusedFolder as exc:  # (a folder that is not digest's to write: the command line's to fix)
        print(f"digest: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OutputError as exc:
        print(f"digest: error: {exc}", file=sys.stderr)
        return EXIT_CONTENT
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if args.debug:
            raise
        print(f"digest: internal error: {type(exc).__name__}: {exc} (run with --debug for details)", file=sys.stderr)
        return EXIT_CONTENT


def run() -> NoReturn:
    """The `digest` program (its console script and `python -m digest`): main(), then an exit
    that skips tearing the interpreter down. A build leaves a large heap (freeing it
    object by object, after a last full collection, is a noticeable part of a one-brief
    rebuild), and nothing in it is left to finalise by then: its files are written
    and closed, its worker pools and Pagefind processes are done. The output streams and the
    log are flushed first. (mypy ends the same way.) If any other thread still runs, the
    interpreter ends as usual and waits for it."""
    if "serve" not in sys.argv[1:]:
        # A command that ends with the process needs no cyclic garbage collection: a build pauses
        # it anyway, and turning it back on at the end would cost a full pass over the build's
        # heap. `digest serve` keeps it, and collects between builds.
        gc.disable()
    try:
        code: object = main()
    except SystemExit as exc:  # argparse: --help, --version, usage errors
        code = exc.code
    if code is None:
        code = EXIT_OK
    elif not isinstance(code, int):
        print(code, file=sys.stderr)
        code = EXIT_CONTENT
    if threading.active_count() > 1:
        sys.exit(code)
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # (a closed pipe: nothing more to say)
            stream.flush()
    os._exit(code)


def _usage(message: str) -> int:
    print(f"digest: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _find_site(args: argparse.Namespace) -> str | None:
    """Set `args.root` to the site the command runs in (see find_site); else what is wrong."""
    if not args.root.is_dir():
        return f"{args.root} is not a folder; expected the site folder (--root)"
    found = find_site(args.root)
    if found is None:
        return (
            f"no {CONFIG_FILE} in {args.root.absolute()} or any folder above it; "
            "expected to run inside a site (digest init makes one)"
        )
    args.root = found
    return None


def _base_url(args: argparse.Namespace) -> str | None:
    """What is wrong with --base-url, if anything (normalised in `args` otherwise)."""
    if args.base_url is not None:
        message = check_base_url(args.base_url)
        if message:
            return message.replace("'base_url'", "--base-url")
        args.base_url = normalize_base_url(args.base_url)
    return None


def _cmd_build(args: argparse.Namespace) -> int:
    usage = _base_url(args)
    if usage:
        return _usage(usage)
    config = open_config(args.root, drafts=args.drafts, base_url=args.base_url, today=args.today)
    out_dir = args.out if args.out is not None else args.root / "site"
    with ProgressLine(enabled=not args.quiet and sys.stderr.isatty()) as progress:
        result = build(config, out_dir, clean=args.clean, jobs=args.jobs, progress=progress, wait=not args.no_wait)
    for warning in result.warnings:
        print(warning, file=sys.stderr)
    if not args.quiet:
        print(summary(result))
    return EXIT_OK


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def _cmd_check(args: argparse.Namespace) -> int:
    from digest.build.check import check_site  # (the pipeline's modules load only for commands that need them)

    usage = _base_url(args)
    if usage:
        return _usage(usage)
    report = check_site(open_config(args.root, drafts=args.drafts, base_url=args.base_url, today=args.today))
    failed = bool(report.errors or (args.strict and report.warnings))
    if args.format == "json":
        print(json.dumps({**report.as_dict(), "ok": not failed, "strict": args.strict}, indent=2))
    else:
        for problem in report.problems:
            print(problem, file=sys.stderr)
        if report.review:
            waits = "1 brief waits" if len(report.review) == 1 else f"{len(report.review):,} briefs wait"
            print(f"{waits} for review (drafts until an editor publishes them):")
            for path, fields in report.review:
                print(f"  {path}: review {', '.join(fields)}")
        print(report.summary() + (" (--strict: warnings are errors)" if args.strict and report.warnings else ""))
    return EXIT_CONTENT if failed else EXIT_OK


def _cmd_init(args: argparse.Namespace) -> int:
    from digest.ingest.scaffold import ScaffoldError, init_site

    try:
        files = init_site(args.dir)
    except ScaffoldError as exc:
        return _usage(str(exc))
    for path in files:
        print(f"created {path}")
    print(f"Build it with: digest build --root {args.dir}")
    return EXIT_OK


def _unknown_tags(names: list[str], config: Config, taxonomy: Taxonomy) -> str | None:
    """What is wrong with the first name of --tags outside the taxonomy (unless `open_tags`)."""
    for name in names:
        name = " ".join(name.split())
        if name and not config.open_tags and taxonomy.resolve(name) is None:
            return f"--tags: {taxonomy.unknown(name)}"
    return None


def _cmd_new(args: argparse.Namespace) -> int:
    from digest.content.load import load_content
    from digest.ingest.scaffold import ScaffoldError, new_brief

    config = open_config(args.root)
    taxonomy, _ = load_content(config)  # a skeleton must not be added to a site that does not build
    usage = _unknown_tags(args.tags.split(","), config, taxonomy)
    if usage:
        return _usage(usage)
    try:
        path = new_brief(config, taxonomy, args.title, args.tags.split(","))
    except ScaffoldError as exc:
        return _usage(str(exc))
    print(path)
    return EXIT_OK


def _cmd_serve(args: argparse.Namespace) -> int:
    from digest.serve.server import Server  # the dev server's modules load only for this command

    if not 0 <= args.port <= 65535:
        return _usage(f"--port must be from 0 to 65535, got {args.port}")
    from digest.build.cache import prepare_folder

    prepare_folder(args.root.resolve())  # (the cache folder, where the site is served from, checked first)
    if args.drafts and args.no_drafts:
        return _usage("--drafts and --no-drafts contradict each other; expected one of them")
    from digest.serve.http import host_name

    for name in args.allowed_host:
        if host_name(name) is None:
            return _usage(f"--allowed-host must be a host name or address such as digest.lan, got {name!r}")
    loopback = _is_loopback(args.host)
    drafts = args.drafts or (loopback and not args.no_drafts)
    if not loopback:
        print(
            f"digest: warning: serving on {args.host}, which other machines can reach: drafts are "
            f"{'included (--drafts)' if drafts else 'hidden (--drafts shows them)'}, and only requests "
            "naming localhost, the --host address or an --allowed-host name are answered",
            file=sys.stderr,
            flush=True,
        )
    try:
        server = Server(
            args.root,
            args.host,
            args.port,
            drafts=drafts,
            follow=args.follow,
            allowed_hosts=tuple(args.allowed_host),
            today=args.today,
        )
    except OSError as exc:
        print(f"digest: error: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    server.run(open_browser=args.open)
    return EXIT_OK


def _is_loopback(host: str) -> bool:
    """Whether `--host` is an address of this machine only (127.0.0.0/8, ::1, localhost)."""
    import ipaddress

    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host.lower() == "localhost"


def _cmd_import(args: argparse.Namespace) -> int:
    import datetime as dt

    from digest.content.load import load_content
    from digest.core.layout import BRIEFS_DIR
    from digest.ingest.importer import ImportOptions, import_sources  # HTML extraction loads only for this command

    if not args.paths and not args.feed:
        return _usage("nothing to import; expected a PATH, a URL or --feed URL|FILE")
    if not args.timeout > 0:
        return _usage(f"--timeout must be a number of seconds above 0, got {args.timeout:g}")
    date = None
    if args.date is not None:
        try:
            date = dt.date.fromisoformat(args.date) if len(args.date) == 10 else None
        except ValueError:
            date = None
        if date is None:
            return _usage(f"--date must be YYYY-MM-DD, got {args.date!r}")
    config = open_config(args.root)
    taxonomy, _ = load_content(config)  # briefs must not be added to a site that does not build
    usage = _unknown_tags(args.tags.split(","), config, taxonomy)
    if usage:
        return _usage(usage)
    briefs_dir = args.root / BRIEFS_DIR
    out_dir = args.out if args.out is not None else briefs_dir
    if not out_dir.resolve().is_relative_to(briefs_dir.resolve()):
        print(
            f"digest: warning: {out_dir} is outside {briefs_dir}; digest build will not see these briefs",
            file=sys.stderr,
        )
    tags = tuple(t.strip() for t in args.tags.split(",") if t.strip())
    options = ImportOptions(
        out_dir,
        date=date,
        tags=tags,
        dry_run=args.dry_run,
        force=args.force,
        timeout=args.timeout,
        feeds=tuple(args.feed),
    )
    report = import_sources(config, taxonomy, args.paths, options, walked=args.watched)
    if args.format == "json":
        print(json.dumps(report.as_dict(), indent=2))
        return EXIT_CONTENT if report.failed else EXIT_OK
    for outcome in report.outcomes:
        if outcome.error:
            print(outcome.line(), file=sys.stderr)
        else:
            print(outcome.line())
    for note in report.notes:
        print(note)
    counts = report.counts()
    done = ", ".join(f"{n} {status}" for status, n in counts.items() if n)
    total = len(report.outcomes)
    note = "; dry run, nothing was written" if args.dry_run else ""
    print(f"{total} {'source' if total == 1 else 'sources'}: {done or 'nothing to import'}{note}")
    return EXIT_CONTENT if report.failed else EXIT_OK


def _cmd_email(args: argparse.Namespace) -> int:
    from digest.mail.edition import EmailError, email_command  # (css-inline and smtplib load only for this command)

    try:
        for line in email_command(open_config(args.root), args):
            print(line)
    except EmailError as exc:
        print(f"digest: error: {exc}", file=sys.stderr)
        return EXIT_USAGE if exc.usage else EXIT_CONTENT
    return EXIT_OK


_COMMANDS = {
    "email": _cmd_email,
    "serve": _cmd_serve,
    "build": _cmd_build,
    "check": _cmd_check,
    "init": _cmd_init,
    "new": _cmd_new,
    "import": _cmd_import,
}
