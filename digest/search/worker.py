"""A shard's run, in a process of its own while the pages render (as Pagefind's runs were):

    python -m digest.search.worker --language en [--fields title,summary] [--reuse VERSION] \
        --site DOCS --output-path OUT [--join REQUEST]

reads every `index.html` under DOCS (its URL: its folder under DOCS) into the shard's segment
(digest.search.segment) and writes it to OUT/segment (given several `--site`/`--output-path`
pairs, one after another). `--fields` are the metadata fields every page numbers first (see
words.read_page). With `--reuse VERSION`, the pages read are kept in DOCS, and a document
unchanged since a run of that version of the code is not read again (see
segment.read_folder). With `--join REQUEST` (a digest.search.join.JoinRequest), it then joins
the parts the request names, from its segments and the ones kept, while the build renders the
pages.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from digest.core.files import replace_file
from digest.search.join import JoinRequest, join_in_run
from digest.search.segment import NAME, read_folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m digest.search.worker", description=__doc__)
    parser.add_argument("--language", default="en")
    parser.add_argument("--fields", default="")
    parser.add_argument("--site", type=Path, action="append", required=True)
    parser.add_argument("--output-path", type=Path, action="append", required=True)
    parser.add_argument("--join", type=Path)
    parser.add_argument("--reuse", help="the version of the code: pages read by it are kept and reused")
    args = parser.parse_args(argv)
    if len(args.site) != len(args.output_path):
        parser.error("give each --site its --output-path")
    fields = tuple(f for f in args.fields.split(",") if f)
    made = {}
    for site, output in zip(args.site, args.output_path, strict=True):
        data = read_folder(site, args.language, fields, args.reuse).dumps()
        output.mkdir(parents=True, exist_ok=True)
        replace_file(output / NAME, lambda stream, data=data: stream.write(data))
        if args.join is not None:
            made[str(output)] = data
    if args.join is not None:
        join_in_run(JoinRequest.read(args.join), made)
    return 0


if __name__ == "__main__":
    sys.exit(main())
