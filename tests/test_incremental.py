"""Incremental builds equal clean builds, byte for byte, after any sequence of edits."""

from __future__ import annotations

import datetime as dt
import os
import pickle
import random
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import digest.build.indexing
import digest.build.pipeline
from digest.build.cache import BuildCache
from digest.build.entry import build, open_config
from digest.build.resident import Resident
from digest.build.writer import SiteWriter
from digest.core.errors import SearchError
from digest.core.layout import CACHE_DIR
from digest.core.version import code_version
from digest.serve.server import preview_config
from tests.conftest import REPO, tree
from tests.sitegen import TAGS, brief_text, instrument_text, make_site, sentence

STEPS = int(os.environ.get("DIGEST_INCREMENTAL_STEPS", "100"))


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """The site's sources as a file watcher knows them: path relative to the root -> (size, mtime)."""
    found = {}
    for path in root.rglob("*"):
        relative = path.relative_to(root).as_posix()
        if path.is_file() and not relative.startswith((CACHE_DIR, "site/")):
            stat = path.stat()
            found[relative] = (stat.st_size, stat.st_mtime_ns)
    return found


def clean_build(root: Path, scratch: Path, *, serving: bool = False, today: dt.date | None = None) -> dict[str, bytes]:
    """The reference: the same sources copied elsewhere, built with no cache."""
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(root, scratch, ignore=shutil.ignore_patterns(CACHE_DIR, "site", ".site.*"))
    config = preview_config(scratch, today=today) if serving else open_config(scratch, today=today)
    build(config, scratch / "site", clean=True, jobs=1)
    return tree(scratch / "site")


def built_site(tmp_path: Path, count: int, seed: int = 1) -> tuple[Path, Path]:
    """A generated site of `count` briefs in tmp_path/root, built once into its `site/`."""
    root = tmp_path / "root"
    make_site(root, count, seed=seed)
    out = root / "site"
    build(open_config(root), out, jobs=1)
    return root, out


class Editor:
    """Random edits of the kinds writers and theme authors make."""

    def __init__(self, root: Path, rng: random.Random) -> None:
        self.root, self.rng = root, rng
        self.briefs = root / "content" / "briefs"
        self.instruments = root / "content" / "instruments"
        self.counter = 1000
        self.today = dt.date(2025, 3, 1)  # the build's date (`--today`)

    def files(self) -> list[Path]:
        return sorted(self.briefs.glob("*.md"))

    def pick(self) -> Path:
        return self.rng.choice(self.files())

    def add(self) -> None:
        self.counter += 1
        others = [p for p in self.files() if "draft: true\n" not in p.read_text()]  # (a draft's page is not built)
        link = self.rng.choice(others).name if others and self.rng.random() < 0.3 else None
        day = dt.date(2025, 1, 1) + dt.timedelta(days=self.rng.randint(0, 150))
        (self.briefs / f"added-{self.counter}.md").write_text(
            brief_text(self.rng, f"Added {self.counter}", day, link=link)
        )

    def edit_body(self) -> None:
        path = self.pick()
        path.write_text(path.read_text() + f"\n{sentence(self.rng)}\n")

    def edit_title(self) -> None:
        path = self.pick()
        lines = path.read_text().split("\n")
        lines[1] = f"title: Retitled {self.rng.randint(0, 10**6)}"
        path.write_text("\n".join(lines))

    def edit_tags(self) -> None:
        path = self.pick()
        text = path.read_text()
        start = text.index("tags: [")
        end = text.index("]", start)
        path.write_text(
            text[:start] + f"tags: [{', '.join(self.rng.sample(TAGS, self.rng.randint(0, 3)))}" + text[end:]
        )

    def move_date(self) -> None:
        path = self.pick()
        text = path.read_text()
        start = text.index("date: ") + 6
        day = dt.date(2025, 1, 1) + dt.timedelta(days=self.rng.randint(0, 200))
        path.write_text(text[:start] + day.isoformat() + text[start + 10 :])

    def relink(self, name: str, new: str | None) -> None:
        """Links to brief file `name` go to `new`, or become plain text (a link to a brief that
        is not built is an error): as a writer keeps the site building."""
        for path in self.files():
            text = path.read_text()
            link = f"[the other brief]({name})"
            if link in text:
                path.write_text(text.replace(link, f"[the other brief]({new})" if new else "the other brief"))

    def toggle_draft(self) -> None:
        path = self.pick()
        text = path.read_text()
        text = (
            text.replace("draft: true\n", "")
            if "draft: true\n" in text
            else text.replace("\n---\n", "\ndraft: true\n---\n", 1)
        )
        path.write_text(text)
        if "draft: true\n" in text:
            self.relink(path.name, None)

    def delete(self) -> None:
        if len(self.files()) > 3:
            path = self.pick()
            path.unlink()
            self.relink(path.name, None)

    def rename(self) -> None:
        self.counter += 1
        path = self.pick()
        path.rename(self.briefs / f"renamed-{self.counter}.md")
        self.relink(path.name, f"renamed-{self.counter}.md")

    def template(self) -> None:
        folder = self.root / "templates"
        folder.mkdir(exist_ok=True)
        name = self.rng.choice(["brief.html", "_macros.html", "base.html", "static/style.css"])
        target = folder / name
        if target.exists() and self.rng.random() < 0.4:
            target.unlink()
            return
        source = target if target.exists() else REPO / "templates" / name
        text = source.read_text()
        marker = (
            f"<!-- edit {self.rng.randint(0, 10**6)} -->"
            if name.endswith(".html")
            else f"/* edit {self.rng.randint(0, 10**6)} */"
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        if name == "base.html":
            text = text.replace("</footer>", f"{marker}</footer>", 1)
        elif name == "_macros.html":
            text = text.replace('<p class="summary">', f'{marker}<p class="summary">', 1)
        else:
            text += marker + "\n"
        target.write_text(text)

    def taxonomy(self) -> None:
        path = self.root / "content" / "tags.yaml"
        text = path.read_text()
        tag = self.rng.choice(TAGS)
        label = f"Label {self.rng.randint(0, 999)}"
        group = "country" if tag in TAGS[:3] else "topic"  # (an instrument's jurisdiction stays a country)
        lines = [
            f"  {tag}: {{label: {label}, group: {group}}}" if line.startswith(f"  {tag}:") else line
            for line in text.split("\n")
        ]
        path.write_text("\n".join(lines))

    def config(self) -> None:
        per_page = self.rng.randint(2, 5)
        group = self.rng.choice(["", "editions: {group_by: country}\n", "editions: {group_by: topic}\n"])
        (self.root / "digest.yaml").write_text(
            f"title: Test Digest {self.rng.randint(0, 9)}\nbase_url: https://example.org/t/\nper_page: {per_page}\n"
            "open_tags: true\n" + group
        )

    def instrument_files(self) -> list[Path]:
        return sorted(self.instruments.glob("*.md"))

    def add_instrument(self) -> None:
        self.counter += 1
        self.instruments.mkdir(exist_ok=True)
        others = [p.stem for p in self.instrument_files()]
        start = dt.date(2024, 6, 1) + dt.timedelta(days=self.rng.randint(0, 300))
        events = [
            (start + dt.timedelta(days=self.rng.randint(0, 700)), sentence(self.rng, 3), self.rng.random() < 0.6)
            for _ in range(self.rng.randint(1, 4))
        ]
        (self.instruments / f"rule-{self.counter}.md").write_text(
            instrument_text(
                f"Rule {self.counter}",
                self.rng.choice(["china", "united-states", "eu"]),
                events,
                status=self.rng.choice(["adopted", "in-force", "proposed"]),
                related=tuple(self.rng.sample(others, min(len(others), self.rng.randint(0, 2)))),
            )
        )

    def edit_instrument(self) -> None:
        files = self.instrument_files()
        if not files:
            return self.add_instrument()
        path = self.rng.choice(files)
        text = path.read_text()
        choice = self.rng.randrange(3)
        if choice == 0:
            text = re.sub(
                r"^title: .*$", f"title: Rule retitled {self.rng.randint(0, 10**6)}", text, count=1, flags=re.M
            )
        elif choice == 1:
            day = dt.date(2024, 6, 1) + dt.timedelta(days=self.rng.randint(0, 900))
            text = re.sub(r"date: \d{4}-\d\d-\d\d", f"date: {day.isoformat()}", text, count=1)
        else:
            status = self.rng.choice(["adopted", "in-force", "repealed"])
            text = re.sub(r"^status: .*$", f"status: {status}", text, count=1, flags=re.M)
        path.write_text(text)
        return None

    def delete_instrument(self) -> None:
        files = self.instrument_files()
        if not files:
            return None
        path = self.rng.choice(files)
        path.unlink()
        for other in [*self.instrument_files(), *self.files()]:  # (a reference to it would be an error)
            text = other.read_text()
            kept = re.sub(rf"(, )?\b{path.stem}\b(, )?", lambda m: ", " if m.group(1) and m.group(2) else "", text)
            if kept != text:
                other.write_text(kept.replace("related: []\n", "").replace("instruments: []\n", ""))
        return None

    def cite_instrument(self) -> None:
        files = self.instrument_files()
        if not files:
            return self.add_instrument()
        path = self.pick()
        lines = [line for line in path.read_text().split("\n") if not line.startswith("instruments:")]
        slugs = self.rng.sample([p.stem for p in files], min(len(files), self.rng.randint(1, 2)))
        lines.insert(2, f"instruments: [{', '.join(slugs)}]")
        path.write_text("\n".join(lines))
        return None

    def new_day(self) -> None:
        self.today += dt.timedelta(days=self.rng.choice([1, 1, 7, 30, 90]))

    def edition(self) -> None:
        """Write, rewrite or delete the edition file of a brief's week (its title, lead story, note)."""
        folder = self.root / "content" / "editions"
        folder.mkdir(exist_ok=True)
        existing = sorted(folder.glob("*.md"))
        if existing and self.rng.random() < 0.25:
            self.rng.choice(existing).unlink()
            return
        path = self.pick()
        text = path.read_text()
        year, week, _ = dt.date.fromisoformat(text[text.index("date: ") + 6 :][:10]).isocalendar()
        top = f"top: {path.stem}\n" if "draft: true\n" not in text and self.rng.random() < 0.6 else ""
        title = f"title: Edition {self.rng.randint(0, 10**6)}\n" if self.rng.random() < 0.7 else ""
        (folder / f"{year}-W{week:02d}.md").write_text(
            f"---\n{title}{top}---\n{sentence(self.rng)} {sentence(self.rng)}\n"
        )

    def keep_leads(self) -> None:
        """An edition's `top:` that names a brief no longer published goes (as an editor keeps the site building)."""
        for path in sorted((self.root / "content" / "editions").glob("*.md")):
            text = path.read_text()
            found = re.search(r"^top: (.+)$", text, re.MULTILINE)
            if found:
                brief = self.briefs / f"{found.group(1)}.md"
                if not brief.is_file() or "draft: true\n" in brief.read_text():
                    path.write_text(text.replace(found.group(0) + "\n", ""))

    def step(self) -> str:
        actions: list[tuple[Callable[[], None], int]] = [
            (self.add, 4), (self.edit_body, 6), (self.edit_title, 3), (self.edit_tags, 4), (self.move_date, 3),
            (self.toggle_draft, 2), (self.delete, 3), (self.rename, 2), (self.template, 2), (self.taxonomy, 1), (self.config, 1),
            (self.add_instrument, 2), (self.edit_instrument, 2), (self.delete_instrument, 1), (self.cite_instrument, 2),
            (self.new_day, 2),
            (self.edition, 3),
        ]  # fmt: skip
        action = self.rng.choices([a for a, _ in actions], weights=[w for _, w in actions])[0]
        action()
        self.keep_leads()
        return action.__name__


@pytest.mark.parametrize("keep", ["disk", "memory", "serve"])
def test_random_edits_build_like_a_clean_build(tmp_path: Path, keep: str) -> None:
    """`disk`: each build loads the cache from disk, as `digest build` does; `memory`: one
    cache object is kept across builds; `serve`: that, and `digest serve`'s own settings (it
    trusts its memory of its output folder, and indexes for search after the pages)."""
    root = tmp_path / "root"
    rng = make_site(root, 25, seed={"disk": 7, "memory": 8, "serve": 9}[keep])
    editor = Editor(root, rng)
    out = root / "site"
    cache = BuildCache.load(root, code_version()) if keep != "disk" else None
    serving = keep == "serve"
    config = preview_config(root, today=editor.today) if serving else open_config(root, today=editor.today)
    resident = Resident() if serving else None
    build(config, out, jobs=1, cache=cache, resident=resident)
    history: list[str] = []
    for _ in range(STEPS):
        before = snapshot(root)
        tracked = bool(editor.instrument_files())
        history.append(editor.step())
        # `digest serve` names the files its watcher saw change, and only those briefs are read again
        after = snapshot(root)
        changed = {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
        result = build(
            preview_config(root, today=editor.today) if serving else open_config(root, today=editor.today),
            out,
            jobs=1,
            cache=cache,
            resident=resident,
            changed=changed if serving else None,
        )
        expected = clean_build(root, tmp_path / "reference", serving=serving, today=editor.today)
        actual = tree(out)
        assert sorted(actual) == sorted(expected), f"files differ after {history}"
        for name in expected:
            assert actual[name] == expected[name], f"{name} differs after {history}"
        # (the first instrument, or the last one gone, brings the menu's "Instruments" to every page, or takes it away)
        retracked = tracked != bool(editor.instrument_files())
        assert result.rendered < result.pages or history[-1] in ("config", "template", "edition") or retracked, (
            "incremental builds render less than everything"
        )


@pytest.mark.parametrize("keep", ["disk", "serve"])
def test_edition_file_edits_build_like_a_clean_build(tmp_path: Path, keep: str) -> None:
    """An edition file added, its note, title and lead story edited, then removed: each build
    equals a clean build, and a note edit renders only the pages that show it."""
    root = tmp_path / "root"
    make_site(root, 25, seed=3)
    out = root / "site"
    cache = BuildCache.load(root, code_version()) if keep == "serve" else None
    serving = keep == "serve"
    config = preview_config(root) if serving else open_config(root)
    resident = Resident() if serving else None
    build(config, out, jobs=1, cache=cache, resident=resident)
    briefs = sorted((root / "content" / "briefs").glob("*.md"))
    text = briefs[0].read_text()
    year, week, _ = dt.date.fromisoformat(text[text.index("date: ") + 6 :][:10]).isocalendar()
    edition = root / "content" / "editions" / f"{year}-W{week:02d}.md"
    edition.parent.mkdir()
    steps = [
        "---\ntitle: First title\n---\nThe first note.\n",
        "---\ntitle: First title\n---\nThe note, edited.\n",
        f"---\ntitle: Second title\ntop: {briefs[0].stem}\n---\nThe note, edited.\n",
        None,
    ]
    for index, content in enumerate(steps):
        before = snapshot(root)
        if content is None:
            edition.unlink()
        else:
            edition.write_text(content)
        after = snapshot(root)
        changed = {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
        result = build(
            config,
            out,
            jobs=1,
            cache=cache,
            resident=resident,
            changed=changed if serving else None,
        )
        assert tree(out) == clean_build(root, tmp_path / "reference", serving=serving), f"step {index}"
        if index == 1:
            assert 1 <= result.rendered <= 2, "a note edit renders its edition (and the front page if it is the latest)"
    assert "First title" not in (out / "weeks" / "index.html").read_text()


def test_a_noop_rebuild_renders_and_writes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "root"
    make_site(root, 20)
    build(open_config(root), root / "site", jobs=1)
    result = build(open_config(root), root / "site", jobs=1)
    assert (result.parsed, result.rendered, result.stats.written, result.stats.removed) == (0, 0, 0, 0)


def test_a_body_edit_reparses_one_brief_and_rewrites_few_files(tmp_path: Path) -> None:
    root = tmp_path / "root"
    make_site(root, 20)
    build(open_config(root), root / "site", jobs=1)
    path = root / "content" / "briefs" / "brief-3.md"
    path.write_text(path.read_text() + "\nOne more sentence.\n")
    result = build(open_config(root), root / "site", jobs=1)
    assert result.parsed == 1
    assert "/briefs/brief-3/" in result.stats.changed_urls
    assert result.rendered < 10


def test_a_template_edit_renders_the_pages_of_that_template_and_no_other(tmp_path: Path) -> None:
    root, out = built_site(tmp_path, 20)
    theme = (REPO / "templates" / "brief.html").read_text(encoding="utf-8")
    at = theme.rindex("</article>")
    (root / "templates").mkdir()
    (root / "templates" / "brief.html").write_text(theme[:at] + "<p>Edited template.</p>\n" + theme[at:])
    result = build(open_config(root), out, jobs=1)
    assert result.rendered == result.stats.written == 20  # the brief pages
    assert "Edited template." in (out / "briefs" / "brief-3" / "index.html").read_text()
    assert tree(out) == clean_build(root, tmp_path / "reference")
    # With a body edit besides, the pages showing that body (the feeds) are rendered again too.
    (root / "templates" / "brief.html").write_text(theme[:at] + "<p>Edited again.</p>\n" + theme[at:])
    path = root / "content" / "briefs" / "brief-3.md"
    path.write_text(path.read_text() + "\nA sentence saved with the template.\n")
    result = build(open_config(root), out, jobs=1)
    assert result.rendered > 20
    assert tree(out) == clean_build(root, tmp_path / "reference-2")


# `digest build` in a process of its own, saying the name of each template Jinja compiles.
_COMPILING = (
    "import sys, jinja2\n"
    "from digest.cli import main\n"
    "compile_source = jinja2.Environment.compile\n"
    "def counting(self, source, name=None, *args, **kwargs):\n"
    "    print('compiled:', name, flush=True)\n"
    "    return compile_source(self, source, name, *args, **kwargs)\n"
    "jinja2.Environment.compile = counting\n"
    "raise SystemExit(main(sys.argv[1:]))\n"
)


def test_a_new_build_process_reuses_the_compiled_templates_and_compiles_an_edited_one(tmp_path: Path) -> None:
    """Compiled templates are kept in the build cache: a later `digest build` (a new process,
    with nothing in memory) compiles only a template whose source changed, and a damaged
    compiled file is compiled again, never used."""
    root = tmp_path / "root"
    make_site(root, 8)
    out = root / "site"

    def build_in_a_new_process() -> list[str]:
        argv = [sys.executable, "-c", _COMPILING, "build", "--root", str(root), "--quiet", "--jobs", "1"]
        result = subprocess.run(argv, capture_output=True, text=True, check=True, cwd=REPO)
        return [line.removeprefix("compiled: ") for line in result.stdout.splitlines() if line.startswith("compiled: ")]

    assert "brief.html" in build_in_a_new_process()
    path = root / "content" / "briefs" / "brief-3.md"
    path.write_text(path.read_text() + "\nOne more sentence.\n")
    assert build_in_a_new_process() == []
    assert "One more sentence." in (out / "briefs" / "brief-3" / "index.html").read_text()
    theme = (REPO / "templates" / "brief.html").read_text(encoding="utf-8")
    at = theme.rindex("</article>")
    (root / "templates").mkdir()
    (root / "templates" / "brief.html").write_text(theme[:at] + "<p>Edited template.</p>\n" + theme[at:])
    assert build_in_a_new_process() == ["brief.html"]
    assert "Edited template." in (out / "briefs" / "brief-3" / "index.html").read_text()
    (root / "templates" / "brief.html").write_text(theme[:at] + "<p>Edited again.</p>\n" + theme[at:])
    for kept in (root / CACHE_DIR / "templates").rglob("*"):
        if kept.is_file():
            kept.write_bytes(kept.read_bytes()[:40])  # damaged
    compiled = build_in_a_new_process()
    assert "brief.html" in compiled and "base.html" in compiled
    assert "Edited again." in (out / "briefs" / "brief-3" / "index.html").read_text()
    assert tree(out) == clean_build(root, tmp_path / "reference")


@pytest.mark.parametrize("change", ["edited", "removed", "added"])
def test_briefs_changed_between_the_quick_check_and_the_load_are_built_next_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    """A build loads the briefs from the listing and stats its quick check made (it does not
    list them again). A brief saved, removed or added after that look is taken as it is when
    read, or left out, and the next build, which sees the change, equals a clean build."""
    root, out = built_site(tmp_path, 10)
    briefs = root / "content" / "briefs"
    path = briefs / "brief-3.md"
    path.write_text(path.read_text() + "\nA first edit.\n")
    load_content = digest.build.pipeline.load_content

    def listed_once(*args: object, **kwargs: object) -> object:
        if change == "edited":
            path.write_text(path.read_text().replace("title: Brief number 3", "title: Saved during the build"))
        elif change == "removed":
            path.unlink()
        else:
            shutil.copy(briefs / "brief-4.md", briefs / "brief-40.md")
        return load_content(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("digest.content.load.scan_brief_files", lambda *_: pytest.fail("listed the briefs again"))
    monkeypatch.setattr(digest.build.pipeline, "load_content", listed_once)
    build(open_config(root), out, jobs=1)
    page = out / "briefs" / "brief-3" / "index.html"
    if change == "edited":
        assert "Saved during the build" in page.read_text(), "read as it is when read"
    elif change == "removed":
        assert not page.exists()
    monkeypatch.undo()
    again = build(open_config(root), out, jobs=1)
    if change == "added":
        assert again.rendered > 0 and (out / "briefs" / "brief-40" / "index.html").exists(), "the next build sees it"
    assert tree(out) == clean_build(root, tmp_path / "reference")
    assert build(open_config(root), out, jobs=1).rendered == 0


def test_small_edits_save_the_cache_as_changes_since_its_base_files(tmp_path: Path) -> None:
    """After a small edit, the cache of parsed briefs and of what each output was made from is
    saved as a small file of changes beside the large base files, which stay as they were;
    loaded again, base and changes give every output as it is on disk, across two edits."""
    root, out = built_site(tmp_path, 80)
    folder = root / CACHE_DIR
    bases = {name: (folder / f"{name}.pickle").stat().st_mtime_ns for name in ("briefs", "outputs")}
    assert not list(folder.glob("*-delta.pickle"))
    for n in (3, 7):
        path = root / "content" / "briefs" / f"brief-{n}.md"
        path.write_text(path.read_text() + f"\nEdit number {n}.\n")
        assert build(open_config(root), out, jobs=1).rendered > 0
    assert {name: (folder / f"{name}.pickle").stat().st_mtime_ns for name in bases} == bases, "bases kept"
    for name in bases:
        delta = folder / f"{name}-delta.pickle"
        assert delta.stat().st_size < (folder / f"{name}.pickle").stat().st_size / 3
    entries = BuildCache.load(root, code_version()).outputs[str(out.absolute())]
    on_disk = {p.relative_to(out).as_posix(): p.stat() for p in out.rglob("*") if p.is_file()}
    assert entries.keys() == on_disk.keys()
    assert {p: (e.size, e.mtime_ns) for p, e in entries.items()} == {
        p: (st.st_size, st.st_mtime_ns) for p, st in on_disk.items()
    }, "both edits' pages as written"
    assert build(open_config(root), out, jobs=1).rendered == 0
    assert tree(out) == clean_build(root, tmp_path / "reference")


def test_a_body_edit_keeps_the_cache_base_when_the_search_index_has_many_files(tmp_path: Path) -> None:
    """The search index's files that an edit leaves as they were keep their entries as loaded,
    so the cache of what each output was made from is saved as a small file of changes, even
    when the index has more files than a small edit's changes may number (here some 400)."""
    root, out = built_site(tmp_path, 400)
    assert len(list((out / "pagefind").rglob("*"))) > 400
    folder = root / CACHE_DIR
    base = (folder / "outputs.pickle").stat().st_mtime_ns
    path = root / "content" / "briefs" / "brief-5.md"
    path.write_text(path.read_text() + "\nOne more sentence on export licences.\n")
    assert build(open_config(root), out, jobs=1).rendered > 0
    assert (folder / "outputs.pickle").stat().st_mtime_ns == base, "the base file kept"
    delta = folder / "outputs-delta.pickle"
    assert delta.stat().st_size < (folder / "outputs.pickle").stat().st_size / 3


def test_two_output_folders_built_in_turn_each_get_every_body_edit(tmp_path: Path) -> None:
    """Builds into two folders (`site/` and `--out`, or `digest serve`'s own) share one cache
    on disk. A body edit built into one folder, then another edit, then the other folder: each
    folder is compared with what it showed at its own last build, so the second gets both."""
    root = tmp_path / "root"
    make_site(root, 12, seed=3)
    first, second = root / "site", tmp_path / "other"
    build(open_config(root), first, jobs=1)
    build(open_config(root), second, jobs=1)
    path = root / "content" / "briefs" / "brief-3.md"
    path.write_text(path.read_text() + "\nThe first edit.\n")
    build(open_config(root), first, jobs=1)
    path.write_text(path.read_text() + "\nThe second edit.\n")
    build(open_config(root), first, jobs=1)
    result = build(open_config(root), second, jobs=1)
    assert result.rendered < 10, "a body edit renders the pages that show it, not the site"
    expected = clean_build(root, tmp_path / "reference")
    assert tree(first) == expected
    assert tree(second) == expected


def test_digest_serve_keeps_its_plan_over_a_body_edit_and_renders_only_the_pages_showing_it(tmp_path: Path) -> None:
    """The dev server's rebuild after a writer saves a brief's body (the usual edit) does not
    arrange and plan the site again: it renders the pages that show that body, and the site is
    still the one a clean build makes. A title edit plans again."""
    root = tmp_path / "root"
    make_site(root, 30)
    (root / "digest.yaml").write_text(
        "title: Test Digest\nbase_url: https://example.org/t/\nper_page: 3\nsearch: false\nopen_tags: true\n"
    )
    config = preview_config(root)
    cache = BuildCache.load(root, code_version())
    resident = Resident()
    out = root / "served"
    build(config, out, jobs=1, cache=cache, resident=resident)
    plan = resident.plans[str(out)]
    path = root / "content" / "briefs" / "brief-7.md"
    path.write_text(path.read_text() + "\nA sentence the writer just saved.\n")
    result = build(preview_config(root), out, jobs=1, cache=cache, resident=resident)
    assert resident.plans[str(out)].pages is plan.pages  # planned once
    assert "/briefs/brief-7/" in result.stats.changed_urls
    # its page, and the feeds that carry its text (the site's and its tags', when it is among their latest)
    assert all(u == "/briefs/brief-7/" or u.endswith(("/feed.xml", "/feed.json")) for u in result.stats.changed_urls)
    assert result.rendered == len(result.stats.changed_urls)
    assert "A sentence the writer just saved." in (out / "briefs" / "brief-7" / "index.html").read_text()
    assert tree(out) == clean_build(root, tmp_path / "reference", serving=True)

    path.write_text(path.read_text().replace("title: Brief number 7", "title: Retitled seven"))
    build(preview_config(root), out, jobs=1, cache=cache, resident=resident)
    assert resident.plans[str(out)].pages is not plan.pages
    assert "Retitled seven" in (out / "tags" / "index.html").read_text() or any(
        "Retitled seven" in p.read_text() for p in (out / "tags").rglob("index.html")
    )
    assert tree(out) == clean_build(root, tmp_path / "reference", serving=True)


def test_digest_serve_recovers_from_lost_bodies_without_losing_briefs(tmp_path: Path) -> None:
    """The body store vanishes under a running server (a cleanup, a full disk): the next build
    parses everything again, into the cache the server holds, and later saves build the whole
    site, not just the briefs the watcher named."""
    root = tmp_path / "root"
    make_site(root, 12)
    out = root / "served"
    cache = BuildCache.load(root, code_version())
    resident = Resident()
    build(preview_config(root), out, jobs=1, cache=cache, resident=resident)
    for name in ("brief-2.md", "brief-5.md"):
        path = root / "content" / "briefs" / name
        path.write_text(path.read_text() + "\nA later sentence.\n")
        (root / CACHE_DIR / "bodies.sqlite").unlink(missing_ok=True)
        build(preview_config(root), out, jobs=1, cache=cache, resident=resident, changed={f"content/briefs/{name}"})
        assert tree(out) == clean_build(root, tmp_path / "reference", serving=True)
        assert len(cache.briefs) == 12


def test_digest_serve_shows_a_save_whose_build_failed_once_the_next_build_succeeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A save whose build failed before writing anything (here Pagefind could not run), then a
    save of another brief: the next build brings both pages up to date, not only the one its
    watcher named."""
    root = tmp_path / "root"
    make_site(root, 12)
    out = root / "served"
    cache = BuildCache.load(root, code_version())
    resident = Resident()
    config = preview_config(root)
    build(config, out, jobs=1, cache=cache, resident=resident)
    first, second = root / "content" / "briefs" / "brief-3.md", root / "content" / "briefs" / "brief-8.md"
    first.write_text(first.read_text() + "\nSaved while Pagefind was missing.\n")

    def missing(*args: object, **kwargs: object) -> None:
        raise SearchError("search needs the Pagefind binary, which is missing")

    with monkeypatch.context() as patch:
        patch.setattr(digest.build.indexing, "start_index", missing)
        with pytest.raises(SearchError):
            build(config, out, jobs=1, cache=cache, resident=resident, changed={"content/briefs/brief-3.md"})
    second.write_text(second.read_text() + "\nSaved once it was back.\n")
    build(config, out, jobs=1, cache=cache, resident=resident, changed={"content/briefs/brief-8.md"})
    assert "Saved while Pagefind was missing." in (out / "briefs" / "brief-3" / "index.html").read_text()
    assert tree(out) == clean_build(root, tmp_path / "reference", serving=True)


@pytest.mark.parametrize("damage", ["corrupt", "foreign", "truncated", "bodies-lost", "briefs-corrupt", "briefs-lost"])
def test_a_damaged_cache_means_a_clean_build(tmp_path: Path, damage: str) -> None:
    root, out = built_site(tmp_path, 15)
    path = root / "content" / "briefs" / "brief-2.md"
    path.write_text(path.read_text().replace("title: Brief number 2", "title: Changed while the cache was damaged"))
    cache_file = root / CACHE_DIR / "cache.pickle"
    if damage == "corrupt":
        cache_file.write_bytes(b"\x80\x05garbage" * 10)
    elif damage == "foreign":
        with cache_file.open("wb") as handle:
            pickle.dump("another version", handle)
            pickle.dump(({}, {}), handle)
    elif damage == "truncated":
        cache_file.write_bytes(cache_file.read_bytes()[:100])
    elif damage == "bodies-lost":
        (root / CACHE_DIR / "bodies.sqlite").unlink()
    elif damage == "briefs-corrupt":
        (root / CACHE_DIR / "briefs.pickle").write_bytes(b"not a pickle")
    else:
        (root / CACHE_DIR / "briefs.pickle").unlink()
    build(open_config(root), out, jobs=1)
    assert tree(out) == clean_build(root, tmp_path / "reference")


@pytest.mark.parametrize("serving", [False, True])
def test_a_template_added_where_a_template_includes_a_computed_name_is_picked_up(tmp_path: Path, serving: bool) -> None:
    # `{% include name %}` with a name known only at render time may include any template,
    # including one added after the last build (by `digest build` or a running `digest serve`).
    root = tmp_path / "root"
    make_site(root, 6)
    theme = (REPO / "templates" / "brief.html").read_text(encoding="utf-8")
    at = theme.rindex("</article>")
    (root / "templates").mkdir()
    (root / "templates" / "brief.html").write_text(
        theme[:at] + '{% set extra = "extra.html" %}{% include extra ignore missing %}\n' + theme[at:]
    )
    config = preview_config(root) if serving else open_config(root)
    cache = BuildCache(root) if serving else None
    resident = Resident() if serving else None
    out = root / "site"
    build(config, out, jobs=1, cache=cache, resident=resident)
    (root / "templates" / "extra.html").write_text("<p>Added after the first build.</p>\n")
    build(config, out, jobs=1, cache=cache, resident=resident, changed={"templates/extra.html"} if serving else None)
    assert "Added after the first build." in (out / "briefs" / "brief-1" / "index.html").read_text()
    assert tree(out) == clean_build(root, tmp_path / "reference", serving=serving)


def count_pagefind_runs(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[int]]:
    """Record the Pagefind runs of the next builds: those started early (during the quick
    check) and all of them."""
    import digest.build.headstart
    import digest.search.runs

    runs: dict[str, list[int]] = {"early": [], "all": []}
    launch, start = digest.search.runs.launch, digest.build.headstart.start

    def counted_launch(command: list[str], job: Any, **options: int) -> None:  # (a job, or several to a run)
        runs["all"].extend(j.shard for j in (job if isinstance(job, list) else [job]))
        launch(command, job, **options)

    def counted_start(*args: object) -> dict[int, object]:
        found = start(*args)  # type: ignore[arg-type]
        runs["early"].extend(found)
        return found

    monkeypatch.setattr(digest.search.runs, "launch", counted_launch)
    monkeypatch.setattr(digest.build.headstart, "start", counted_start)
    return runs


def test_an_edited_briefs_shard_is_indexed_from_the_quick_check_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One Pagefind run, started as soon as the quick check saw the edit, and taken over by the build.
    root, out = built_site(tmp_path, 12)
    runs = count_pagefind_runs(monkeypatch)
    path = root / "content" / "briefs" / "brief-4.md"
    path.write_text(path.read_text() + "\nA sentence about lithography saved since.\n")
    build(open_config(root), out, jobs=1)
    assert runs == {"early": [0], "all": [0]}
    assert tree(out) == clean_build(root, tmp_path / "reference")
    for started in runs.values():  # (the reference's own run)
        started.clear()
    text = path.read_text()
    line = next(line for line in text.splitlines() if line.startswith("tags: ["))
    known = {tag for other in (root / "content" / "briefs").glob("*.md") for tag in TAGS if tag in other.read_text()}
    added = next(tag for tag in sorted(known) if tag not in line)  # a tag other briefs have
    path.write_text(text.replace(line, line.replace("tags: [", f"tags: [{added}, ")))
    build(open_config(root), out, jobs=1)  # (a tag edit: the same, when the tag is known)
    assert runs == {"early": [0], "all": [0]}
    assert tree(out) == clean_build(root, tmp_path / "reference-2")


def test_a_head_start_on_other_documents_is_stopped_and_the_shard_indexed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:

    root, out = built_site(tmp_path, 12)
    # What the last build knew of the tags is wrong (as after a change the quick check cannot see):
    # the documents written early are not the build's, and its index must not come from them.
    saved = next((root / CACHE_DIR).glob("search-*.pickle"))
    known = pickle.loads(saved.read_bytes())
    tags = {slug: replace(terms, label="A wrong label") for slug, terms in known.words.tags.items()}
    saved.write_bytes(pickle.dumps(replace(known, words=replace(known.words, tags=tags))))
    runs = count_pagefind_runs(monkeypatch)
    path = root / "content" / "briefs" / "brief-4.md"
    path.write_text(path.read_text() + "\nA sentence about lithography saved since.\n")
    build(open_config(root), out, jobs=1)
    assert runs == {"early": [0], "all": [0, 0]}
    assert tree(out) == clean_build(root, tmp_path / "reference")


def outputs_of_pagefind_runs(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The output folders of the Pagefind runs of the next builds."""
    import digest.search.runs

    outputs: list[Path] = []
    launch = digest.search.runs.launch

    def recorded(command: list[str], job: Any, **options: int) -> None:  # (a job, or several to a run)
        outputs.extend(j.output for j in (job if isinstance(job, list) else [job]))
        launch(command, job, **options)

    monkeypatch.setattr(digest.search.runs, "launch", recorded)
    return outputs


@pytest.fixture
def shm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder standing for /dev/shm, shared by every user (sticky, writable by all)."""
    import digest.search.runs

    folder = tmp_path / "shm"
    folder.mkdir()
    folder.chmod(0o1777)
    monkeypatch.setattr(digest.search.runs, "SCRATCH_ROOT", folder)
    return folder


def test_pagefind_writes_into_a_private_folder_in_memory_and_leaves_nothing_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shm: Path
) -> None:
    outputs = outputs_of_pagefind_runs(monkeypatch)
    root, out = built_site(tmp_path, 12)
    path = root / "content" / "briefs" / "brief-3.md"
    path.write_text(path.read_text() + "\nA sentence about lithography.\n")
    build(open_config(root), out, jobs=1)
    assert len(outputs) > 1
    for output in outputs:
        assert output.parent.parent == shm and output.parent.name.startswith(f"digest-{os.getuid()}-")
    assert not list(shm.iterdir()), "the runs' files and their folder are gone"
    (out / "index.html").unlink()  # (a build that indexes nothing)
    build(open_config(root), out, jobs=1)
    assert len(outputs) == 2 and not list(shm.iterdir())
    assert tree(out) == clean_build(root, tmp_path / "reference")


@pytest.mark.parametrize("planted", ["open to all", "a link", "no room"])
def test_pagefind_writes_into_the_cache_when_the_memory_folder_is_not_safe_or_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shm: Path, planted: str
) -> None:
    import digest.search.runs

    root, out = built_site(tmp_path, 6)
    (folder,) = (root / CACHE_DIR / "search").iterdir()
    private = digest.search.runs.scratch(folder)
    assert private.parent == shm
    private.rmdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    if planted == "open to all":  # (another user could put a link where a run writes)
        private.mkdir()
        private.chmod(0o777)
    elif planted == "a link":
        private.symlink_to(elsewhere)
    else:
        monkeypatch.setattr(digest.search.runs, "SCRATCH_FREE", 1 << 60)
    outputs = outputs_of_pagefind_runs(monkeypatch)
    path = root / "content" / "briefs" / "brief-2.md"
    path.write_text(path.read_text() + "\nA sentence about lithography.\n")
    build(open_config(root), out, jobs=1)
    assert outputs and all(output.parent == folder for output in outputs)
    assert not list(elsewhere.iterdir()) and not (private.is_dir() and list(private.iterdir()))
    assert tree(out) == clean_build(root, tmp_path / "reference")


@pytest.mark.parametrize("where", ["cache", "memory"])
def test_what_pagefind_left_when_a_build_was_killed_is_removed(tmp_path: Path, shm: Path, where: str) -> None:
    import digest.search.runs

    root, out = built_site(tmp_path, 6)
    (folder,) = (root / CACHE_DIR / "search").iterdir()
    place = folder if where == "cache" else digest.search.runs.scratch(folder)
    left = place / "index-0.killed"  # (a Pagefind run's output, its build killed)
    (left / "fragment").mkdir(parents=True)
    (left / "fragment" / "x.pf_fragment").write_bytes(b"partial")
    path = root / "content" / "briefs" / "brief-2.md"
    path.write_text(path.read_text() + "\nEdited after the kill.\n")
    build(open_config(root), out, jobs=1)
    assert not left.exists()
    assert tree(out) == clean_build(root, tmp_path / "reference")


def test_a_body_store_of_an_earlier_layout_is_replaced_once(tmp_path: Path) -> None:
    # Bodies kept by an earlier digest (without their word counts): the build is correct, and the
    # store is made again, so the next edit parses one brief rather than every one again.
    root, out = built_site(tmp_path, 15)
    store = root / CACHE_DIR / "bodies.sqlite"
    with sqlite3.connect(store) as db:
        keys = [row[0] for row in db.execute("SELECT key FROM bodies")]
    store.unlink()
    with sqlite3.connect(store) as db:
        db.execute("CREATE TABLE bodies (key TEXT PRIMARY KEY, html TEXT NOT NULL)")
        db.executemany("INSERT INTO bodies VALUES (?, ?)", [(k, "<p>an old body</p>") for k in keys])
    db.close()
    path = root / "content" / "briefs" / "brief-2.md"
    path.write_text(path.read_text() + "\nEdited after the upgrade.\n")
    build(open_config(root), out, jobs=1)
    assert tree(out) == clean_build(root, tmp_path / "reference")
    path.write_text(path.read_text() + "\nEdited again.\n")
    assert build(open_config(root), out, jobs=1).parsed == 1
    assert tree(out) == clean_build(root, tmp_path / "reference-2")


def test_a_build_interrupted_while_committing_is_followed_by_a_correct_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, out = built_site(tmp_path, 15)
    for path in sorted((root / "content" / "briefs").glob("*.md"))[:5]:
        path.write_text(path.read_text().replace("title: Brief", "title: Edited brief"))
    real_replace = os.replace
    calls = {"n": 0}

    def dying_replace(src: object, dst: object) -> None:
        calls["n"] += 1
        if calls["n"] > 3:
            raise KeyboardInterrupt("killed")
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr("digest.build.writer.os.replace", dying_replace)
    with pytest.raises(KeyboardInterrupt):
        build(open_config(root), out, jobs=1)
    monkeypatch.setattr("digest.build.writer.os.replace", real_replace)
    build(open_config(root), out, jobs=1)
    assert tree(out) == clean_build(root, tmp_path / "reference")
    assert not list(root.glob(".site.staging-*"))


def test_parallel_and_serial_builds_are_byte_identical(tmp_path: Path) -> None:
    root = tmp_path / "root"
    make_site(root, 450, seed=3)
    build(open_config(root), tmp_path / "serial", clean=True, jobs=1)
    result = build(open_config(root), tmp_path / "parallel", clean=True, jobs=2)
    assert result.parsed == 450 and result.pages > 600
    assert tree(tmp_path / "parallel") == tree(tmp_path / "serial")
    # A tag edit changes the layout: every page is fingerprinted again, in the processes that
    # render (checking each against the last build's), and only the changed ones are rendered.
    brief = root / "content" / "briefs" / "brief-7.md"
    lines = brief.read_text().split("\n")
    lines = [("tags: [japan, compute]" if line.startswith("tags:") else line) for line in lines]
    brief.write_text("\n".join(lines))
    build(open_config(root), tmp_path / "serial", jobs=1)
    parallel = build(open_config(root), tmp_path / "parallel", jobs=2)
    assert 0 < parallel.rendered < result.pages // 4
    assert tree(tmp_path / "parallel") == tree(tmp_path / "serial") == clean_build(root, tmp_path / "reference")


def test_writer_stages_nothing_into_the_output_folder_before_commit(tmp_path: Path) -> None:
    out = tmp_path / "site"
    out.mkdir()
    (out / "index.html").write_bytes(b"old")
    writer = SiteWriter(out)
    assert writer.put("index.html", b"new").changed
    assert (out / "index.html").read_bytes() == b"old"
    writer.commit(["index.html"], [])
    assert (out / "index.html").read_bytes() == b"new"


def _edit_brief_template(root: Path, extra: str) -> None:
    theme = (REPO / "templates" / "brief.html").read_text(encoding="utf-8")
    at = theme.rindex("</article>")
    (root / "templates").mkdir(exist_ok=True)
    (root / "templates" / "brief.html").write_text(theme[:at] + extra + theme[at:])


def _pool(root: Path) -> Path:
    [pool] = (root / CACHE_DIR).glob("pool-*")
    return pool


def test_pages_written_over_the_old_copies_of_a_commit_are_exactly_the_new_pages(tmp_path: Path) -> None:
    """A commit keeps the old pages it swapped out, and the next build writes its pages over
    them (a seventh of the cost of new files): longer and shorter pages alike come out whole."""
    root, out = built_site(tmp_path, 20)
    for page in (out / "briefs").rglob("index.html"):
        page.chmod(0o600)  # (kept by the old copies: the pages written over them get the usual permissions)
    _edit_brief_template(root, "<p>" + "A long paragraph. " * 400 + "</p>\n")
    build(open_config(root), out, jobs=1)
    old_copies = {p.stat().st_ino for p in _pool(root).iterdir()}
    assert len(old_copies) >= 20  # (the brief pages before the edit)
    _edit_brief_template(root, "")  # (shorter than any page the pool holds)
    build(open_config(root), out, jobs=1)
    assert len({p.stat().st_ino for p in out.rglob("index.html")} & old_copies) >= 20
    assert tree(out) == clean_build(root, tmp_path / "reference")
    for page in out.rglob("*.html"):
        assert page.stat().st_mode & 0o777 == 0o666 & ~_umask(), page


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def test_a_copy_of_the_site_made_with_hard_links_is_never_written_through(tmp_path: Path) -> None:
    """A release folder made with `cp -al site release` shares its files with the site: the
    old copies that a commit swaps out are then still the release's, and never written over."""
    root, out = built_site(tmp_path, 20)
    release = tmp_path / "release"
    for path in out.rglob("*"):
        if path.is_file():
            (release / path.relative_to(out)).parent.mkdir(parents=True, exist_ok=True)
            os.link(path, release / path.relative_to(out))
    before = tree(release)
    _edit_brief_template(root, "<p>First edit.</p>\n")
    build(open_config(root), out, jobs=1)
    _edit_brief_template(root, "<p>Second edit.</p>\n")
    build(open_config(root), out, jobs=1)
    assert tree(release) == before
    assert tree(out) == clean_build(root, tmp_path / "reference")


def test_old_copies_of_pages_the_site_no_longer_has_leave_the_pool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("digest.build.writer.BACKGROUND_AT", 5)  # (the pool is tidied after large commits)
    root, out = built_site(tmp_path, 20)
    briefs = root / "content" / "briefs"
    files = sorted(os.listdir(briefs))
    _edit_brief_template(root, "<p>First edit.</p>\n")
    build(open_config(root), out, jobs=1)
    removed = [f"briefs/{Path(name).stem}/index.html" for name in files[:10]]
    names = {SiteWriter(out)._staged(page).rpartition("/")[2]: page for page in removed}
    assert set(names) <= set(os.listdir(_pool(root)))
    for name in files[:10]:
        (briefs / name).unlink()
    _edit_brief_template(root, "<p>Second edit.</p>\n")
    build(open_config(root), out, jobs=1)
    assert not set(names) & set(os.listdir(_pool(root)))
    assert len(os.listdir(_pool(root))) <= sum(1 for p in out.rglob("*") if p.is_file())
    assert tree(out) == clean_build(root, tmp_path / "reference")


def test_the_staging_folder_of_a_killed_build_becomes_the_pool(tmp_path: Path) -> None:
    root, out = built_site(tmp_path, 10)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # (a process id that is gone)
    staging = root / f".site.staging-{dead.pid}"
    staging.mkdir()
    (staging / ("f" * 24)).write_bytes(b"a page that was never committed")
    inode = (staging / ("f" * 24)).stat().st_ino
    (root / f".site.staging-{dead.pid}.undo").mkdir()
    _edit_brief_template(root, "<p>Edited.</p>\n")
    build(open_config(root), out, jobs=1)
    assert not [p.name for p in root.iterdir() if ".staging-" in p.name]
    assert inode in {p.stat().st_ino for p in _pool(root).iterdir()} | {p.stat().st_ino for p in out.rglob("*")}
    assert tree(out) == clean_build(root, tmp_path / "reference")


def test_outputs_changed_by_hand_are_restored(tmp_path: Path) -> None:
    root, out = built_site(tmp_path, 10)
    expected = tree(out)
    (out / "index.html").unlink()
    (out / "tags" / "index.html").write_text("vandalised")
    (out / "stray.html").write_text("not part of the site")
    build(open_config(root), out, jobs=1)
    # (a file no build wrote is not digest's to remove: see tests/test_owned_folders.py)
    assert tree(out) == {**expected, "stray.html": b"not part of the site"}


@pytest.mark.parametrize(
    "change", ["stray-file", "new-folder", "same-size", "renamed", "file-to-folder", "folder-to-file"]
)
def test_hand_changes_deep_in_the_output_are_seen_by_the_quick_check(
    tmp_path: Path, change: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The quick check looks at each folder's and file's stat rather than listing every folder:
    # any change a listing would show must still make the build repair the site.
    root, out = built_site(tmp_path, 10)
    # A build that adds and removes folders records their times from what it changed alone.
    briefs = root / "content" / "briefs"
    (briefs / "brief-9.md").rename(briefs / "renamed-brief.md")
    assert build(open_config(root), out, jobs=1).stats.removed > 0
    expected = tree(out)
    assert expected == clean_build(root, tmp_path / "reference")
    with monkeypatch.context() as patched:  # (the next check needs no listing of the folder)
        patched.setattr("digest.build.entry.scan", lambda folder: pytest.fail("the output folder was listed"))
        assert build(open_config(root), out, jobs=1).stats.written == 0
    page = out / "briefs" / "brief-3" / "index.html"
    # (files no build wrote stay: they are not digest's to remove, see tests/test_owned_folders.py)
    kept: dict[str, bytes] = {}
    if change == "stray-file":
        (page.parent / "extra.html").write_text("not part of the site")
        kept["briefs/brief-3/extra.html"] = b"not part of the site"
    elif change == "new-folder":
        (out / "tags" / "made-by-hand").mkdir()
        (out / "tags" / "made-by-hand" / "index.html").write_text("not part of the site")
        kept["tags/made-by-hand/index.html"] = b"not part of the site"
    elif change == "same-size":
        size = page.stat().st_size
        page.write_bytes(b"x" * size)
    elif change == "renamed":
        page.rename(page.parent / "other.html")
        kept["briefs/brief-3/other.html"] = (page.parent / "other.html").read_bytes()
    elif change == "file-to-folder":
        page.unlink()
        page.mkdir()
        (page / "inside.html").write_text("not part of the site")
    else:
        shutil.rmtree(out / "briefs" / "brief-3")
        (out / "briefs" / "brief-3").write_text("a file where a folder was")
    result = build(open_config(root), out, jobs=1)
    assert result.stats.written + result.stats.removed > 0 or kept
    assert tree(out) == {**expected, **kept}


def test_the_quick_check_leaves_no_process_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The output folder is checked in a forked process beside the build; a build that ends
    early (here on a content error, before it needs the answer) stops and reaps it, and so
    does one that succeeds."""
    from digest.core.errors import ContentError

    def children() -> list[str]:
        found = []
        for task in Path(f"/proc/{os.getpid()}/task").iterdir():
            found += (task / "children").read_text().split()
        return found

    root, out = built_site(tmp_path, 10)
    before = children()
    forks = []
    real_fork = os.fork
    monkeypatch.setattr(os, "fork", lambda: forks.append(1) or real_fork())
    brief = root / "content" / "briefs" / "brief-2.md"
    brief.write_text(brief.read_text().replace("title:", "title: [unclosed", 1))
    with pytest.raises(ContentError):
        build(open_config(root), out, jobs=1)
    assert forks and children() == before
    brief.write_text(brief.read_text().replace("title: [unclosed", "title:", 1))
    build(open_config(root), out, jobs=1)
    assert len(forks) == 2 and children() == before
    assert tree(out) == clean_build(root, tmp_path / "reference")


def test_builds_killed_at_random_moments_are_repaired_by_the_next_build(tmp_path: Path) -> None:
    """SIGKILL `digest build` at a random moment after edits (anywhere from start-up to the
    commit and the cache save); the next build equals a clean build. DIGEST_KILLS sets how many."""
    import signal
    import subprocess
    import sys
    import time

    root = tmp_path / "root"
    rng = make_site(root, 120, seed=11)
    editor = Editor(root, rng)
    out = root / "site"
    build(open_config(root), out, jobs=1)
    command = [sys.executable, "-m", "digest", "build", "--root", str(root), "--quiet", "--jobs", "1"]
    for _ in range(3):
        editor.step()
    started = time.monotonic()
    subprocess.run(command, check=True)
    span = (time.monotonic() - started) * 1.1  # how long a whole build takes on this machine
    for _ in range(int(os.environ.get("DIGEST_KILLS", "15"))):
        for _ in range(3):
            editor.step()
        process = subprocess.Popen(command)
        time.sleep(rng.uniform(0.0, span))
        process.send_signal(signal.SIGKILL)
        process.wait()
        build(open_config(root), out, jobs=1)
        assert tree(out) == clean_build(root, tmp_path / "reference")
    assert not list(root.glob(".site.staging-*")), "staging folders of killed builds are removed"
    # A Pagefind whose build was killed, left to itself, was seen to wait forever at start-up:
    # the next build stops it. (One still running normally ends within seconds.)
    deadline = time.monotonic() + 20
    while pagefind_processes(root) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not pagefind_processes(root), "no Pagefind of a killed build is left running"


def pagefind_processes(root: Path) -> list[int]:
    """The Pagefind processes working in this site's folders (Linux: /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"pagefind" in command and str(root).encode() in command:
                found.append(int(entry.name))
    return found
