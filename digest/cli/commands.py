"""The commands of the command line: each takes the parsed arguments, runs one stage of digest
and prints what it did; the exit code is its answer."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from typing import TYPE_CHECKING

from digest.build.entry import build, open_config
from digest.build.progress import ProgressLine, summary
from digest.cli.options import EXIT_CONTENT, EXIT_OK, EXIT_USAGE
from digest.content.config import CONFIG_FILE, Config, check_base_url, find_site, normalize_base_url

if TYPE_CHECKING:
    from digest.core.model import Taxonomy


def usage_error(message: str) -> int:
    print(f"digest: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def find_site_of(args: argparse.Namespace) -> str | None:
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
        return usage_error(usage)
    config = open_config(args.root, drafts=args.drafts, base_url=args.base_url, today=args.today)
    out_dir = args.out if args.out is not None else args.root / "site"
    with ProgressLine(enabled=not args.quiet and sys.stderr.isatty()) as progress:
        result = build(config, out_dir, clean=args.clean, jobs=args.jobs, progress=progress, wait=not args.no_wait)
    for warning in result.warnings:
        print(warning, file=sys.stderr)
    if not args.quiet:
        print(summary(result))
    return EXIT_OK


def _cmd_check(args: argparse.Namespace) -> int:
    from digest.build.check import check_site  # (the pipeline's modules load only for commands that need them)

    usage = _base_url(args)
    if usage:
        return usage_error(usage)
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
        return usage_error(str(exc))
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
        return usage_error(usage)
    try:
        path = new_brief(config, taxonomy, args.title, args.tags.split(","))
    except ScaffoldError as exc:
        return usage_error(str(exc))
    print(path)
    return EXIT_OK


def _cmd_serve(args: argparse.Namespace) -> int:
    from digest.serve.server import Server  # the dev server's modules load only for this command

    if not 0 <= args.port <= 65535:
        return usage_error(f"--port must be from 0 to 65535, got {args.port}")
    from digest.build.cache import prepare_folder

    prepare_folder(args.root.resolve())  # (the cache folder, where the site is served from, checked first)
    if args.drafts and args.no_drafts:
        return usage_error("--drafts and --no-drafts contradict each other; expected one of them")
    from digest.serve.http import host_name

    for name in args.allowed_host:
        if host_name(name) is None:
            return usage_error(f"--allowed-host must be a host name or address such as digest.lan, got {name!r}")
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

    from digest.content.load import load_content
    from digest.core.layout import BRIEFS_DIR
    from digest.ingest.importer import ImportOptions, import_sources  # HTML extraction loads only for this command

    if not args.paths and not args.feed:
        return usage_error("nothing to import; expected a PATH, a URL or --feed URL|FILE")
    if not args.timeout > 0:
        return usage_error(f"--timeout must be a number of seconds above 0, got {args.timeout:g}")
    date = None
    if args.date is not None:
        try:
            date = dt.date.fromisoformat(args.date) if len(args.date) == 10 else None
        except ValueError:
            date = None
        if date is None:
            return usage_error(f"--date must be YYYY-MM-DD, got {args.date!r}")
    config = open_config(args.root)
    taxonomy, _ = load_content(config)  # briefs must not be added to a site that does not build
    usage = _unknown_tags(args.tags.split(","), config, taxonomy)
    if usage:
        return usage_error(usage)
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


COMMANDS = {
    "email": _cmd_email,
    "serve": _cmd_serve,
    "build": _cmd_build,
    "check": _cmd_check,
    "init": _cmd_init,
    "new": _cmd_new,
    "import": _cmd_import,
}
