"""One build's state as the pipeline's steps pass it on (see pipeline.run)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from digest.build.cache import WRITABLE, BuildCache, OutputEntry, Planned, manifest_path
from digest.build.fingerprint import Fingerprinter
from digest.build.ownership import note_written, owned_files
from digest.build.plan import Plan
from digest.build.resident import Resident
from digest.build.writer import Discard, OutputError, SiteWriter
from digest.content.config import Config
from digest.content.editorial import EditionFile
from digest.content.files import Inputs
from digest.content.instruments import Instrument
from digest.content.load import LoadResult
from digest.core.errors import Problem
from digest.core.model import Taxonomy
from digest.core.workers import Progress
from digest.search.runs import Indexer, IndexJob
from digest.site.arrange import Site
from digest.site.editions import EditionSettings
from digest.site.pages import Page
from digest.theme.assets import Assets


@dataclass
class Run:
    """One build's state, passed from step to step (see run)."""

    config: Config
    out_dir: Path
    clean: bool
    write: bool
    jobs: int
    progress: Progress | None
    resident: Resident | None
    changed: Collection[str] | None
    started: float
    looked: Inputs | None  # what a separate build's quick check saw (its signature is saved with the outputs)
    listed: Callable[[], tuple[Mapping[str, tuple[int, int]], Mapping[str, int] | None]] | None
    head: dict[int, IndexJob]
    cache: BuildCache
    version: str
    known: Mapping[str, OutputEntry] | None  # a resident caller's memory of what the folder holds
    remembered: bool  # ... and it holds just that
    # loaded (the fields without a default are set by the step that makes them)
    taxonomy: Taxonomy = field(init=False)
    loaded: LoadResult = field(init=False)
    instruments: tuple[Instrument, ...] = field(init=False)  # the policy instruments that loaded
    edition_files: tuple[EditionFile, ...] = field(init=False)  # the editors' parts of the weekly editions
    edition_settings: EditionSettings = field(init=False)  # `editions:` and `email:` of digest.yaml
    errors: list[Problem] = field(default_factory=list)
    images: Mapping[str, tuple[int, int]] = field(init=False)
    env: jinja2.Environment = field(init=False)
    published: Assets = field(init=False)
    journal: Path = field(init=False)
    interrupted: bool = field(init=False)  # a build died while it changed the folder
    previous: Mapping[str, OutputEntry] = field(init=False)  # the outputs of the last build, if trusted
    global_key: str = field(init=False)  # the code, the configuration, the assets
    # arranged and planned
    plan: Plan | None = None  # a resident caller's last plan, when it still holds
    site: Site = field(init=False)
    pages: Sequence[Page] = field(init=False)
    fingerprints: Fingerprinter = field(init=False)
    layout_key: str = field(init=False)  # what the site's arrangement and every page's context follow from
    inputs: tuple[object, ...] = field(init=False)  # what a plan is made of (see Plan.holds)
    templates: frozenset[str] = field(init=False)
    keys_of_templates: Mapping[str, str] = field(init=False)
    new_bodies: frozenset[str] = frozenset()  # slugs whose body changed since the plan was made
    last: Planned | None = None  # what the last build of this folder planned, if laid out alike
    changed_bodies: set[str] | None = None  # slugs whose body changed since then (None: no such build)
    # the output folder, and what this build makes of it
    on_disk: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    folders: Mapping[str, int] | None = None
    entries: dict[str, OutputEntry] = field(default_factory=dict)
    todo: list[tuple[int, str | None]] = field(default_factory=list)  # (page index, fingerprint if known) to render
    writer: SiteWriter | Discard = field(init=False)  # Discard without `write`
    staged: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    indexer: Indexer | None = None
    keys: dict[str, str] = field(default_factory=dict)  # slug -> search document key
    search_keys: dict[int, str] = field(default_factory=dict)  # shard -> key
    kept_index: Mapping[str, OutputEntry] = field(default_factory=dict)  # the index's files as the last build left them
    rendered: int = 0
    owned_once: list[set[str]] = field(default_factory=list)

    @property
    def layout_inputs(self) -> tuple[object, ...]:
        """What the site's arrangement follows from besides the configuration, taxonomy, images and code."""
        return (self.instruments, self.edition_files, self.edition_settings)

    @property
    def out_key(self) -> str:
        return str(self.out_dir)

    @property
    def index_later(self) -> bool:
        """A resident caller shows the pages first: the search index is made after their commit."""
        return self.resident is not None and self.resident.index_after_commit

    def owned(self) -> set[str]:
        """The files of the output folder that builds wrote (read only when some file there is
        not among this build's outputs): only those are ever removed."""
        if not self.owned_once:
            self.owned_once.append(owned_files(manifest_path(self.config.root, self.out_dir), self.journal))
        return self.owned_once[0]


def note_journal(writer: SiteWriter | Discard, journal: Path, paths: list[str], after: str = "") -> None:
    """Name in the journal the files a commit is about to create (output.note_written); where
    that cannot be written, the staged files are dropped and nothing is committed."""
    try:
        note_written(journal, paths)
    except OSError as exc:
        writer.abort()
        raise OutputError(
            f"cannot write the build cache {journal.parent}: {exc.strerror or exc}; {WRITABLE}{after}"
        ) from None
