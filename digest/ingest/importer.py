"""`digest import`: source documents (files, folders, globs) -> briefs in content/briefs.

Every input is tried; each gets one outcome: created, updated, unchanged or skipped (with
the reason). Every brief is validated with the brief parser before it is written. A brief
that was edited since it was generated is never overwritten without `force`, and then a
copy of it is kept in `.digest-cache/import-backups/`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import logging
import os
import re
import stat
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from digest.content.brief import parse_brief
from digest.content.config import Config
from digest.content.sourcefile import CONTROL, MAX_BYTES, OUTSIDE, decode, inside
from digest.core.errors import ContentError, Problem
from digest.core.files import create_new, replace_file
from digest.core.layout import BRIEFS_DIR, CACHE_DIR
from digest.core.model import Taxonomy, slugify
from digest.ingest.autotag import TagMatcher, scan_tags, tag_matcher
from digest.ingest.brieftext import Provenance, compose, is_unedited
from digest.ingest.duplicates import story_text
from digest.ingest.extract import Draft, extract, kind_of
from digest.ingest.feeds import STATE_FILE, load_state, read_feed, save_state
from digest.ingest.fetch import TIMEOUT, FetchError, fetch, is_url
from digest.ingest.sources import ExistingBriefs, existing_briefs, find_sources

log = logging.getLogger(__name__)

BACKUP_DIR = f"{CACHE_DIR}/import-backups"
MTIME = "file modification time"
FETCHED = "day it was fetched"
LINKED = "a symbolic link; expected a brief file (digest import never writes through a link)"
LINKED_FOLDER = "a symbolic link or not a folder; expected a folder (digest import never writes through a link)"
_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_-]+)""", re.IGNORECASE)


@dataclass(frozen=True)
class ImportOptions:
    out_dir: Path  # where new briefs go
    date: dt.date | None = None  # overrides every other date
    tags: tuple[str, ...] = ()  # added to every brief
    dry_run: bool = False
    force: bool = False
    timeout: float = TIMEOUT  # seconds, for URLs and feeds
    feeds: tuple[str, ...] = ()  # RSS or Atom feeds (URLs or files) whose new entries are imported


@dataclass(frozen=True)
class Outcome:
    """What happened to one input."""

    source: str
    status: str  # created, updated, unchanged, skipped
    brief: str | None = None
    reason: str | None = None  # why it was skipped
    error: bool = False  # the input could not be read or parsed
    date: str | None = None
    date_from: str | None = None
    tags: tuple[str, ...] = ()
    suggested_tags: tuple[str, ...] = ()
    review: tuple[str, ...] = ()
    backup: str | None = None

    def as_dict(self) -> dict[str, object]:
        """The outcome's fields, and its report `line` (what `digest serve`'s inbox prints)."""
        fields: dict[str, object] = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}
        return {**fields, "line": self.line()}

    def line(self) -> str:
        """The report line: `created content/briefs/x.md (from ...; date ... from ...; tags: ...)`."""
        if self.error:
            return f"skipped {self.reason}"
        if self.status == "skipped" and self.brief is None:
            return f"skipped {self.source}: {self.reason}"
        if self.status == "skipped":
            return f"skipped {self.brief}: {self.reason} (from {self.source})"
        origin = "--date" if self.date_from == "--date" else f"the {self.date_from}"
        parts = [f"from {self.source}", f"date {self.date} from {origin}"]
        parts.append(f"tags: {', '.join(self.tags)}" if self.tags else "no tags found")
        if self.suggested_tags:
            parts.append(f"not in the taxonomy: {', '.join(self.suggested_tags)}")
        if self.review:
            parts.append(f"draft; review: {', '.join(self.review)}")
        if self.backup:
            parts.append(f"backup of the edited brief: {self.backup}")
        return f"{self.status} {self.brief} ({'; '.join(parts)})"


@dataclass(frozen=True)
class ImportReport:
    outcomes: tuple[Outcome, ...]
    dry_run: bool
    notes: tuple[str, ...] = ()  # what the report says besides an outcome per input

    @property
    def failed(self) -> bool:
        return any(o.error for o in self.outcomes)

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(("created", "updated", "unchanged", "skipped", "failed"), 0)
        for outcome in self.outcomes:
            counts["failed" if outcome.error else outcome.status] += 1
        return counts

    def as_dict(self) -> dict[str, object]:
        return {
            "dry_run": self.dry_run,
            "counts": self.counts(),
            "results": [o.as_dict() for o in self.outcomes],
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class ImportContext:
    """What every source of one import shares."""

    config: Config
    taxonomy: Taxonomy
    matcher: TagMatcher
    tags: tuple[str, ...] = ()  # resolved slugs added to every brief
    date: dt.date | None = None  # overrides every other date

    @classmethod
    def create(
        cls, config: Config, taxonomy: Taxonomy, tags: Sequence[str] = (), date: dt.date | None = None
    ) -> ImportContext:
        resolved: list[str] = []
        for name in tags:
            slug = (taxonomy.resolve(name) or slugify(name)) if name.strip() else ""
            if slug and slug not in resolved:
                resolved.append(slug)
        return cls(config, taxonomy, tag_matcher(taxonomy), tuple(resolved), date)


@dataclass(frozen=True)
class Made:
    """A brief made from a source, validated, not yet written."""

    text: str
    slug: str  # the slug its title gives (before any numeric suffix)
    draft: Draft
    tags: tuple[str, ...]
    suggestions: tuple[str, ...]
    date: str
    date_from: str
    review: tuple[str, ...]  # what an editor must check: what digest generated or guessed


REVIEWED = ("title", "date", "summary", "key_points", "tags")


def import_sources(
    config: Config, taxonomy: Taxonomy, paths: Sequence[str], options: ImportOptions, *, walked: bool = False
) -> ImportReport:
    """Import every source that `paths` names; nothing is written on a dry run. With `walked`,
    the paths were found by a watcher of the site (the serve inbox), not named by the writer:
    they are read only as a folder search would read them (see `find_sources`)."""
    root = config.root
    briefs_dir = root / BRIEFS_DIR
    files = [p for p in paths if not is_url(p)]
    skip = (briefs_dir, options.out_dir, root / CACHE_DIR)
    sources, missing = find_sources(files, skip=skip, root=root, walked=walked)
    outcomes = [Outcome(m.path, "skipped", reason=m.reason, error=True) for m in missing]
    existing = existing_briefs((briefs_dir, options.out_dir), root=root)
    context = ImportContext.create(config, taxonomy, options.tags, options.date)
    for url in dict.fromkeys(p for p in paths if is_url(p)):
        outcomes.append(import_url(url, context, existing, options))
    notes: list[str] = []
    if options.feeds:
        outcomes += import_feeds(context, existing, options, notes)
    for path in sources:
        try:
            outcomes.append(_import_one(path, context, existing, options))
        except ContentError as exc:
            outcomes.append(Outcome(str(path), "skipped", reason=str(exc.problems[0]), error=True))
        except OSError as exc:
            reason = (
                f"{exc.filename or path}: {exc.strerror}; expected a readable source and a writable {options.out_dir}"
            )
            outcomes.append(Outcome(str(path), "skipped", reason=reason, error=True))
    return ImportReport(tuple(outcomes), options.dry_run, tuple(notes))


def import_feeds(
    context: ImportContext, existing: ExistingBriefs, options: ImportOptions, notes: list[str]
) -> list[Outcome]:
    """The entries of `options.feeds` not imported before, each as a brief; the entries imported
    are remembered (by id) in the site's feed state file, unless on a dry run."""
    root = context.config.root
    state = load_state(root)
    before = dict(state)
    outcomes: list[Outcome] = []
    today = dt.datetime.now(context.config.tz).date()
    for spec in dict.fromkeys(options.feeds):
        try:
            entries = read_feed(spec, options.timeout)
        except FetchError as exc:
            outcomes.append(Outcome(spec, "skipped", reason=str(exc), error=True))
            continue
        new = [entry for entry in entries if entry.id not in state]
        if len(new) < len(entries):
            seen = len(entries) - len(new)
            notes.append(
                f"{spec}: {seen} of {len(entries)} entries imported before (listed in {STATE_FILE.as_posix()})"
            )
        for entry in new:
            source = entry.link or f"{spec} ({entry.id})"
            if entry.article is not None:
                try:
                    outcome = _import_data(
                        entry.article.encode("utf-8"),
                        source,
                        source,
                        today,
                        context,
                        existing,
                        options,
                        FETCHED,
                        entry.link,
                    )
                except ContentError as exc:
                    outcome = Outcome(source, "skipped", reason=str(exc.problems[0]), error=True)
            elif entry.link:
                outcome = import_url(entry.link, context, existing, options)
            else:
                reason = f"{source}: the entry has neither its article nor a link; expected one of them"
                outcome = Outcome(source, "skipped", reason=reason, error=True)
            outcomes.append(outcome)
            if not outcome.error:
                state[entry.id] = outcome.brief or outcome.reason or outcome.status
    if state != before and not options.dry_run:
        save_state(root, state)
    return outcomes


def import_url(url: str, context: ImportContext, existing: ExistingBriefs, options: ImportOptions) -> Outcome:
    """Fetch the page at `url` and import it as an HTML page; `source.url` is its canonical URL."""
    try:
        fetched = fetch(url, timeout=options.timeout)
    except FetchError as exc:
        return Outcome(url, "skipped", reason=str(exc), error=True)
    today = dt.datetime.now(context.config.tz).date()
    try:
        return _import_data(fetched.data, url, url, today, context, existing, options, FETCHED, fetched.url)
    except ContentError as exc:
        return Outcome(url, "skipped", reason=str(exc.problems[0]), error=True)
    except OSError as exc:
        return Outcome(
            url, "skipped", reason=f"{exc.filename}: {exc.strerror}; expected a writable {options.out_dir}", error=True
        )


def make_brief(
    data: bytes,
    source: str,
    key: str,
    context: ImportContext,
    mtime: dt.date,
    old: dict[str, Any] | None = None,
    day_from: str = MTIME,
    page_url: str | None = None,
) -> Made:
    """The brief for a source's bytes, validated with the brief parser; ContentError (naming
    `source`) if the source cannot be read. `key` names the source in `imported_from`, `old`
    is the front matter of the brief imported from it before, if any; `mtime` is the date
    when the source states none (`day_from` says what it is). A page fetched from `page_url`
    is HTML, and that URL is its `source.url` unless the page names its canonical URL."""
    kind = "html" if page_url else kind_of(source, data[:300].decode("utf-8", "replace"))
    draft = extract(_read_text(data, source, kind), source, kind, context.matcher.distinct)
    if page_url and not draft.source_url:
        draft = replace(draft, source_url=page_url)
    generated = "key_points" in draft.review  # then they repeat the body: no more weight than it has
    scan = scan_tags(
        context.matcher,
        [("title", draft.title), ("summary", draft.summary)]
        + [("key_points", p) for p in (() if generated else draft.key_points)]
        + [("body", draft.body)],
    )
    tags = context.tags + tuple(t for t in scan.tags if t not in context.tags)
    suggestions = tuple(s for s in scan.suggestions if context.taxonomy.resolve(s) is None)
    date, date_from = _date(draft, context, mtime, old, day_from)
    guessed = set(draft.review)
    if date_from == day_from:
        guessed.add("date")
    if scan.tags:
        guessed.add("tags")
    review = tuple(field for field in REVIEWED if field in guessed)
    provenance = Provenance(key, hashlib.sha256(data).hexdigest(), date_from, draft.author, draft.title_from)
    text = compose(draft, date=date, tags=tags, provenance=provenance, review=review)
    slug = slugify(draft.title) or slugify(Path(source).stem) or "brief"
    try:
        parse_brief(text, source, slug, context.config, context.taxonomy)
    except ContentError as exc:  # a bug in the importer, not in the source: say so
        log.debug("the brief made from %s:\n%s", source, text)
        message = f"internal error: the brief made from this source does not validate ({exc.problems[0]})"
        raise ContentError([Problem(source, 0, message)]) from None
    return Made(text, slug, draft, tags, suggestions, date, date_from, review)


def _import_one(path: Path, context: ImportContext, existing: ExistingBriefs, options: ImportOptions) -> Outcome:
    data = path.read_bytes()
    mtime = dt.datetime.fromtimestamp(path.stat().st_mtime, context.config.tz).date()
    return _import_data(data, str(path), _source_key(path, context.config.root), mtime, context, existing, options)


def _import_data(
    data: bytes,
    source: str,
    key: str,
    mtime: dt.date,
    context: ImportContext,
    existing: ExistingBriefs,
    options: ImportOptions,
    day_from: str = MTIME,
    page_url: str | None = None,
) -> Outcome:
    found = existing.by_source.get(key)
    made = make_brief(data, source, key, context, mtime, found[1] if found else None, day_from, page_url)
    story = story_text(made.draft.summary, made.draft.body)
    duplicate = existing.stories.find(story, exclude=str(found[0]) if found else None)
    if duplicate and not options.force:
        reason = (
            f"duplicate of {duplicate.brief} (similarity {duplicate.similarity:.2f}); use --force to import it anyway"
        )
        return Outcome(source, "skipped", reason=reason)
    target = found[0] if found else options.out_dir / f"{existing.claim(made.slug)}.md"
    outcome = Outcome(
        source,
        "created",
        str(target),
        date=made.date,
        date_from=made.date_from,
        tags=made.tags,
        suggested_tags=made.suggestions,
        review=made.review,
    )
    if target.is_symlink():
        reason = f"{target}: {LINKED}"
        return replace(outcome, status="skipped", reason=reason, error=True)
    if target.exists():
        old = target.read_bytes().decode("utf-8", "replace")
        if old == made.text:
            return replace(outcome, status="unchanged")
        backup = None
        if not is_unedited(old):
            if not options.force:
                return replace(outcome, status="skipped", reason="edited since import (use --force)")
            folder = context.config.root / BACKUP_DIR
            backup = folder / f"{target.name}.bak-{dt.datetime.now().strftime('%Y%m%dT%H%M%S')}"
            if not options.dry_run:
                backup = _write_backup(context.config.root, folder, backup.name, old)
        outcome = replace(outcome, status="updated", backup=str(backup) if backup else None)
    if not options.dry_run:
        _write(target, made.text, (context.config.root, options.out_dir))
    existing.stories.add(str(target), story)  # a later source of the same run may repeat it
    log.debug("%s %s from %s", outcome.status, target, source)
    return outcome


def _read_text(data: bytes, source: str, kind: str) -> str:
    """The source's text; an HTML page that is not UTF-8 is read in the charset it declares."""
    if kind != "html" or len(data) > MAX_BYTES or b"\x00" in data:
        return decode(data, source, strip_controls=True)
    try:
        return decode(data, source, strip_controls=True)
    except ContentError:
        match = _CHARSET.search(data[:4096])
        try:
            text = data.decode(match.group(1).decode("ascii") if match else "cp1252", "replace")
        except LookupError:
            text = data.decode("cp1252", "replace")
        return CONTROL.sub(" ", text)


def _source_key(path: Path, root: Path) -> str:
    """How a brief names its source: the path relative to the site folder, with '/'."""
    try:
        return Path(os.path.relpath(path.resolve(), root.resolve())).as_posix()
    except ValueError:  # another drive on Windows
        return path.resolve().as_posix()


def _date(
    draft: Draft, context: ImportContext, mtime: dt.date, old: dict[str, Any] | None, day_from: str = MTIME
) -> tuple[str, str]:
    if context.date:
        return context.date.isoformat(), "--date"
    if draft.date:
        return draft.date.isoformat(), draft.date_from or "document"
    if old is not None:  # keep the date a re-imported brief already has: a checkout changes the mtime
        origin, date = old.get("imported_from"), old.get("date")
        if isinstance(date, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", date) and isinstance(origin, dict):
            return date, str(origin.get("date_from") or day_from)
    return mtime.isoformat(), day_from


def _write_backup(root: Path, folder: Path, name: str, text: str) -> Path:
    """Keep `text` in a new file of `folder` named `name` (or `name-2`, ...), inside the site's
    cache: every folder on the way is made here or checked to be a real folder (not a link),
    and the file is created new, never opened through a link someone left at its name."""
    current = root
    for part in folder.relative_to(root).parts:
        current = current / part
        with contextlib.suppress(FileExistsError):
            os.mkdir(current, 0o700)
        if not stat.S_ISDIR(os.lstat(current).st_mode):
            raise ContentError([Problem(str(current), 0, f"{LINKED_FOLDER}; the edited brief is kept as it is")])
    for n in range(1, 1000):
        backup = folder / (name if n == 1 else f"{name}-{n}")
        try:
            create_new(backup, lambda stream: stream.write(text.encode("utf-8")), mode=0o666)
            return backup
        except FileExistsError:
            continue
    raise OSError(errno.EEXIST, "no free name for the backup; expected fewer backups", str(folder / name))


def _write(target: Path, text: str, bases: tuple[Path, ...]) -> None:
    """Write atomically, never through a link: a new hidden file with a random name (created
    exclusively, so a link or file left at any name is never opened) in the brief's folder,
    renamed over the brief (a rename replaces a name; it never writes where a link points).
    The folder must be inside the site or the output folder the writer chose (`bases`)."""
    for _ in range(2):  # before making the folder (a link on the way), and after
        folder = os.path.realpath(target.parent)
        if not any(inside(os.path.realpath(base), folder) for base in bases):
            raise ContentError([Problem(str(target.parent), 0, OUTSIDE)])
        target.parent.mkdir(parents=True, exist_ok=True)
    replace_file(target, lambda stream: stream.write(text.encode("utf-8")), mode=0o666)
