"""The `digest` command line: parses arguments, calls one stage, prints results."""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import sys
import threading
from collections.abc import Sequence
from typing import NoReturn

from digest.build.writer import OutputError, RefusedFolder
from digest.cli.commands import COMMANDS, find_site_of, usage_error
from digest.cli.options import EXIT_CONTENT, EXIT_OK, EXIT_USAGE, make_parser
from digest.core.errors import ContentError, SearchError


def main(argv: Sequence[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING, format="%(levelname)s: %(message)s")
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    if args.command != "init":
        usage = find_site_of(args)
        if usage is not None:
            return usage_error(usage)
    try:
        return COMMANDS[args.command](args)
    except ContentError as exc:
        for problem in sorted((*exc.problems, *exc.warnings)):
            print(problem, file=sys.stderr)
        count = len(exc.problems)
        print(f"digest: {count} {'error' if count == 1 else 'errors'}; nothing was written", file=sys.stderr)
        return EXIT_CONTENT
    except RefusedFolder as exc:  # (a folder that is not digest's to write: the command line's to fix)
        print(f"digest: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (OutputError, SearchError) as exc:
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
