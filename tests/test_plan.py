"""When a resident caller's last plan still holds (table tests of build.plan): a plan is kept while
the configuration, taxonomy, images, code, templates and the outputs it left are the same and the
load gave the very same Brief objects. An edit of a body alone keeps them (the brief cache hands
back the old, equal Brief), so it keeps the plan; any other edit of a brief plans again."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path

import pytest

from digest.build.cache import BuildCache, OutputEntry
from digest.build.entry import build, open_config
from digest.build.fingerprint import Fingerprinter, template_keys
from digest.build.plan import Plan, Remembered
from digest.build.resident import Resident
from digest.content.bodies import BriefCache
from digest.core.hashing import key_of
from digest.site.pages import plan_pages
from tests.conftest import SMALL_TAGS, SmallSite, small_site, tree, write_site

THEME = Path(__file__).resolve().parent.parent / "templates"  # the default theme of a source checkout


def brief(slug: str, date: str, *tags: str, **more: object) -> dict[str, object]:
    return {"slug": slug, "title": f"The {slug} brief", "date": date, "tags": list(tags), **more}


SITE = [
    brief("alpha", "2025-03-03", "china", "chips"),
    brief("bravo", "2025-03-12", "eu"),
    brief("charlie", "2025-03-20", "chips"),
]


def edited(slug: str, **changes: object) -> list[dict[str, object]]:
    return [{**b, **changes} if b["slug"] == slug else b for b in SITE]


def inputs_of(small: SmallSite, templates: frozenset[str]) -> tuple[object, ...]:
    """What a plan is made of besides the briefs, as the build puts it together (pipeline._arrange):
    configuration, taxonomy, images, the global key and the keys of the planned templates (the
    small sites have no instruments or edition files)."""
    config = small.config
    global_key = key_of(replace(config, root=Path("."), today=None))
    keys = template_keys(small.renderer().env, templates)
    return (config, small.site.taxonomy, small.site.images, global_key, keys)


def make_plan(small: SmallSite, bodies: Mapping[str, tuple[str, ...]] | None = None) -> Plan:
    """The plan a build of `small` leaves; `bodies`: url -> the bodies that page used."""
    pages = plan_pages(small.site)
    templates = frozenset(p.template for p in pages)
    entries = {p.path: OutputEntry(f"fingerprint of {p.url}", 1, 1, (bodies or {}).get(p.url, ())) for p in pages}
    fingerprints = Fingerprinter(small.site, "global", {})
    return Plan.make(
        inputs_of(small, templates), small.loaded.briefs, small.site, pages, fingerprints, entries, {}, {},
        templates, small.loaded.body_keys, "layout",
    )  # fmt: skip


def theme_edit(name: str) -> Callable[[Path], None]:
    def edit(root: Path) -> None:
        (root / "templates").mkdir(exist_ok=True)
        (root / "templates" / name).write_text((THEME / name).read_text() + "{# edited #}\n")

    return edit


def no_edit(root: Path) -> None:
    pass


# (briefs after, config after, taxonomy after, another edit of the files, whether the plan holds)
EDITS = [
    pytest.param(SITE, {}, SMALL_TAGS, no_edit, True, id="nothing-changed:holds"),
    pytest.param(edited("bravo", body="Another body."), {}, SMALL_TAGS, no_edit, True, id="body-edited:holds"),
    pytest.param(edited("bravo", title="Renamed"), {}, SMALL_TAGS, no_edit, False, id="title-edited"),
    pytest.param(edited("bravo", summary="Other."), {}, SMALL_TAGS, no_edit, False, id="summary-edited"),
    pytest.param(edited("bravo", tags=["china"]), {}, SMALL_TAGS, no_edit, False, id="tags-edited"),
    pytest.param(edited("bravo", date="2025-03-13"), {}, SMALL_TAGS, no_edit, False, id="date-edited"),
    pytest.param(SITE[:2], {}, SMALL_TAGS, no_edit, False, id="brief-removed"),
    pytest.param([*SITE, brief("delta", "2025-03-21", "eu")], {}, SMALL_TAGS, no_edit, False, id="brief-added"),
    pytest.param(SITE, {"per_page": 2}, SMALL_TAGS, no_edit, False, id="config-edited"),
    pytest.param(SITE, {}, SMALL_TAGS.replace("label: China", "label: PRC"), no_edit, False, id="taxonomy-edited"),
    pytest.param(SITE, {}, SMALL_TAGS, theme_edit("tag.html"), False, id="planned-template-edited"),
    pytest.param(SITE, {}, SMALL_TAGS, theme_edit("_macros.html"), False, id="pulled-in-template-edited"),
]


@pytest.mark.parametrize(("briefs", "config", "tags", "edit", "holds"), EDITS)
def test_a_plan_holds_only_while_what_it_is_made_of_is_the_same(
    tmp_path: Path,
    briefs: list[dict[str, object]],
    config: dict[str, object],
    tags: str,
    edit: Callable[[Path], None],
    holds: bool,
) -> None:
    cache = BriefCache(tmp_path)  # (kept between the loads, as a resident caller keeps it)
    before = small_site(tmp_path, SITE, cache=cache)
    plan = make_plan(before)
    edit(tmp_path)
    after = small_site(tmp_path, briefs, cache=cache, tags=tags, **config)
    inputs = inputs_of(after, plan.templates)
    assert plan.holds(inputs, after.loaded.briefs, plan.entries) is holds
    assert not plan.holds(inputs, after.loaded.briefs, dict(plan.entries)), (
        "the output folder as another build left it: never"
    )


def test_a_plan_knows_which_pages_showed_each_body(tmp_path: Path) -> None:
    small = small_site(tmp_path, SITE)
    shown = {"/briefs/bravo/": ("bravo",), "/feed.json": ("alpha", "bravo", "charlie"), "/": ("charlie",)}
    plan = make_plan(small, shown)
    urls = [p.url for p in plan.pages]
    showing = {slug: sorted(urls[i] for i in indexes) for slug, indexes in plan.showing.items()}
    assert showing == {
        "alpha": ["/feed.json"],
        "bravo": sorted(["/briefs/bravo/", "/feed.json"]),
        "charlie": sorted(["/", "/feed.json"]),
    }
    assert set(plan.by_slug) == {"alpha", "bravo", "charlie"}
    assert all(plan.by_slug[b.slug] is b for b in small.site.briefs)


def test_remembered_is_the_output_folder_as_its_entries_say() -> None:
    entries = {"index.html": OutputEntry("f", 10, 20), "feed.xml": OutputEntry("g", 3, 4, ("a",))}
    assert dict(Remembered(entries)) == {"index.html": (10, 20), "feed.xml": (3, 4)}
    assert len(Remembered(entries)) == 2


# The same through the build `digest serve` calls: the plan kept by the Resident is reused (its
# pages are the very same tuple) exactly when it holds, and the site equals a clean build's.
BUILD_EDITS = [
    pytest.param(lambda root: write_site(root, edited("bravo", body="Another body.")), True, id="body-edited:kept"),
    pytest.param(
        lambda root: write_site(root, edited("bravo", title="Renamed")), False, id="title-edited:planned-again"
    ),
    pytest.param(lambda root: write_site(root, edited("bravo", tags=["chips"])), False, id="tags-edited:planned-again"),
    pytest.param(
        lambda root: (root / "digest.yaml").write_text("title: Edited\nsearch: false\n"), False, id="config-edited"
    ),
    pytest.param(theme_edit("brief.html"), False, id="template-edited"),
    pytest.param(
        lambda root: (
            (root / "content" / "editions").mkdir()
            or (root / "content" / "editions" / "2025-W12.md").write_text("---\ntitle: A headline\n---\nA note.\n")
        ),
        False,
        id="edition-note-added",
    ),
]


@pytest.mark.parametrize(("edit", "kept"), BUILD_EDITS)
def test_a_resident_build_keeps_its_plan_exactly_when_it_holds(
    tmp_path: Path, edit: Callable[[Path], object], kept: bool
) -> None:
    root = write_site(tmp_path / "root", SITE)
    (root / "digest.yaml").write_text("title: Test Digest\nsearch: false\n")
    out, cache, resident = root / "site", BuildCache(root), Resident()
    build(open_config(root), out, cache=cache, resident=resident)
    first = resident.plans[str(out)]
    edit(root)
    build(open_config(root), out, cache=cache, resident=resident)
    assert (resident.plans[str(out)].pages is first.pages) is kept
    clean = root / "clean"
    build(open_config(root), clean, clean=True)
    assert tree(out) == tree(clean)
