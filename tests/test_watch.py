"""Which saves wake `digest serve`: every file the site is made of, and none of the files
editors, version control and the build itself leave beside them (table tests of serve.watch)."""

from __future__ import annotations

import pytest

from digest.serve.watch import is_relevant, kind_of_change

REBUILDS = [
    ("content/briefs/chips.md", "brief"),
    ("content/briefs/2025/deep/chips.md", "brief"),
    ("content/tags.yaml", "taxonomy"),
    ("digest.yaml", "config"),
    ("templates/brief.html", "template"),
    ("templates/partials/card.html", "template"),
    ("templates/static/style.css", "asset"),
    ("static/logo.svg", "asset"),
    ("static/images/map.png", "asset"),
    ("content/editions/2025-W04.md", "other"),
    ("content/instruments/eu-ai-act.md", "other"),
    ("content/sources/article.html", "other"),
]

IGNORED = [
    "content/briefs/.chips.md.swp",  # Vim
    "content/briefs/chips.md~",  # backups
    "content/briefs/.#chips.md",  # Emacs lock
    "content/briefs/#chips.md#",  # Emacs autosave
    "content/briefs/4913",  # Vim's write test
    "content/briefs/.goutputstream-X1Y2Z3",  # GNOME's atomic save
    "content/briefs/chips.md.part",  # a download in progress
    "content/briefs/.chips.md.3f2a.tmp",  # an atomic writer's temporary (digest import's own)
    ".git/index",
    ".digest-cache/cache.pickle",
    "node_modules/pagefind/package.json",
    "content/.venv/lib/x.py",
    "site/index.html",  # the build's own output
    "site/briefs/chips/index.html",
    ".DS_Store",
]


@pytest.mark.parametrize(("path", "kind"), REBUILDS)
def test_a_save_of_a_site_file_rebuilds_and_says_what_changed(path: str, kind: str) -> None:
    assert is_relevant(path)
    assert kind_of_change(path) == kind


@pytest.mark.parametrize("path", IGNORED)
def test_editor_droppings_version_control_and_the_output_never_wake_the_server(path: str) -> None:
    assert not is_relevant(path)


def test_a_site_built_into_another_folder_ignores_that_folder_only() -> None:
    assert not is_relevant("public/index.html", ("public",))
    assert is_relevant("site/notes.md", ("public",))
    assert is_relevant("content/briefs/site.md", ("site",))
