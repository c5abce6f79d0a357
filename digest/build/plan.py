"""What a build planned, kept in memory by a long-running caller (`digest serve`) for its next build."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from digest.build.cache import OutputEntry
from digest.build.fingerprint import Fingerprinter
from digest.core.model import Brief
from digest.site.arrange import Site
from digest.site.pages import Page


@dataclass(frozen=True)
class Plan:
    """What a build arranged and planned, kept in memory by a long-running caller (`digest
    serve`) for the next build of the same output folder.

    The next build reuses it when nothing the plan is made of changed: the configuration, the
    taxonomy, the images' sizes, the code, assets and templates (`inputs`), the outputs the
    plan left (`entries`), and the very same Brief objects in the same order. A file whose
    body alone changed parses to an equal Brief, and the brief cache then keeps the old object
    (see digest.content.load), so a writer's save usually keeps the plan: only the body keys differ,
    and only the pages that show a changed body are rendered again. Anything else plans the
    site again, as a build without a plan does; both give the same site."""

    inputs: tuple[object, ...]
    briefs: tuple[Brief, ...]
    site: Site
    pages: tuple[Page, ...]
    fingerprints: Fingerprinter
    entries: dict[str, OutputEntry]
    document_keys: dict[str, str]
    shard_keys: dict[int, str]
    templates: frozenset[str]
    by_slug: dict[str, Brief]
    showing: dict[str, tuple[int, ...]]  # slug -> the pages (indexes) that showed its body
    body_keys: Mapping[str, str]  # the load's mapping behind `site.body_keys`
    layout_key: str  # see pipeline.run()

    @classmethod
    def make(
        cls,
        inputs: tuple[object, ...],
        briefs: tuple[Brief, ...],
        site: Site,
        pages: tuple[Page, ...],
        fingerprints: Fingerprinter,
        entries: dict[str, OutputEntry],
        document_keys: dict[str, str],
        shard_keys: dict[int, str],
        templates: frozenset[str],
        body_keys: Mapping[str, str],
        layout_key: str,
    ) -> Plan:
        showing: dict[str, list[int]] = {}
        for index, page in enumerate(pages):
            for slug in entries[page.path].bodies:
                showing.setdefault(slug, []).append(index)
        return cls(
            inputs, briefs, site, pages, fingerprints, entries, document_keys, shard_keys, templates,
            {b.slug: b for b in site.briefs}, {s: tuple(i) for s, i in showing.items()},
            body_keys, layout_key,
        )  # fmt: skip

    def holds(self, inputs: tuple[object, ...], briefs: tuple[Brief, ...], entries: Mapping[str, OutputEntry]) -> bool:
        return (
            entries is self.entries
            and (
                briefs is self.briefs
                or (len(briefs) == len(self.briefs) and all(a is b for a, b in zip(briefs, self.briefs, strict=True)))
            )
            and inputs == self.inputs
        )


class Remembered(Mapping[str, tuple[int, int]]):
    """The output folder as the last build left it: path -> (size, mtime_ns) of its entries."""

    def __init__(self, entries: Mapping[str, OutputEntry]) -> None:
        self.entries = entries

    def __getitem__(self, path: str) -> tuple[int, int]:
        entry = self.entries[path]
        return entry.size, entry.mtime_ns

    def __iter__(self) -> Iterator[str]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)
