"""No writes outside the output folder, and no files from outside the site published, whatever
slugs, tags, configuration keys or symbolic links say.

Every test works in `tmp/parent/`: the site folder `parent/root/` and, beside it, `parent/outside/`
with a secret. Everything under `parent/` but the site folder is compared before and after.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from digest.cli import main
from tests.conftest import FIXTURES

SECRET = "SECRET-7f3a: this file lives outside the site"
OUTSIDE = "a symbolic link that leads outside the site folder; expected a file inside the site folder (it is not read)"
VICTIM = "#!/bin/sh\necho the victim ran\n"  # a file outside that a link planted in the site points at
SECRET_BRIEF = f"---\ntitle: {SECRET}\ndate: 2025-01-01\nsummary: {SECRET}\nkey_points: [One]\n---\n{SECRET}\n"


def entries(folder: Path, skip: Path | None = None) -> dict[str, tuple[str, bytes | str]]:
    """Every entry under `folder` (links not followed) with its content or link target."""
    found: dict[str, tuple[str, bytes | str]] = {}
    for current, dirs, files in os.walk(folder):
        here = Path(current)
        if skip is not None and (here == skip or skip in here.parents):
            dirs[:] = []
            continue
        for name in dirs + files:
            path = here / name
            rel = path.relative_to(folder).as_posix()
            if skip is not None and path == skip:
                continue
            if path.is_symlink():
                found[rel] = ("link", os.readlink(path))
            elif path.is_file():
                found[rel] = ("file", path.read_bytes())
            else:
                found[rel] = ("dir", b"")
    return found


@dataclass
class Layout:
    parent: Path
    root: Path
    outside: Path

    @property
    def briefs(self) -> Path:
        return self.root / "content" / "briefs"

    def build(self, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, list[str]]:
        capsys.readouterr()
        code = main(["build", "--root", str(self.root), "--quiet", *extra])
        return code, [line for line in capsys.readouterr().err.splitlines() if not line.startswith("digest: ")]

    def published(self) -> str:
        """Every file of the built site as text, for looking for the secret."""
        site = self.root / "site"
        return "\n".join(p.read_bytes().decode("utf-8", "replace") for p in site.rglob("*") if p.is_file())


@pytest.fixture
def layout(tmp_path: Path) -> Iterator[Layout]:
    parent = tmp_path / "parent"
    root = parent / "root"
    shutil.copytree(FIXTURES / "valid-site", root)
    outside = parent / "outside"
    (outside / "briefs").mkdir(parents=True)
    (outside / "secret.txt").write_text(SECRET)
    (outside / "victim.sh").write_text(VICTIM)
    (outside / "note.txt").write_text(f"Chip Note | Home | News | Wire\nA lead paragraph: {SECRET}.\n")
    (outside / "secret.md").write_text(SECRET_BRIEF)
    (outside / "briefs" / "secret.md").write_text(SECRET_BRIEF)
    (outside / "tags.yaml").write_text(f"tags:\n  secret: {{label: '{SECRET}'}}\n")
    shutil.copytree(root / "content", outside / "content")
    (outside / "content" / "briefs" / "secret.md").write_text(SECRET_BRIEF)
    before = entries(parent, skip=root)
    yield Layout(parent, root, outside)
    assert entries(parent, skip=root) == before, "nothing outside the site folder was created, changed or removed"


HOSTILE_NAMES = [
    "../../escape",
    "../../../../../../tmp/escape",
    "/etc/passwd",
    "a/../../b",
    "C:\\Windows\\evil",
    "..\\..\\evil",
    "%2e%2e%2fescape",
    "~/.ssh/id_rsa",
    "\u2024\u2024/\u2024\u2024/escape",
    "site/../../escape",
]


def test_hostile_tag_names_and_file_names_stay_in_the_output_folder(
    layout: Layout, capsys: pytest.CaptureFixture[str]
) -> None:
    tags = "".join(f'  - "{name.replace(chr(92), chr(92) * 2)}"\n' for name in HOSTILE_NAMES)
    config = layout.root / "digest.yaml"  # (the names are tags outside the taxonomy)
    config.write_text(config.read_text() + "open_tags: true\n")
    (layout.briefs / "tagged.md").write_text(
        f"---\ntitle: Tagged\ndate: 2025-01-01\nsummary: S.\nkey_points: [One]\ntags:\n{tags}---\nBody.\n"
    )
    (layout.briefs / "sub" / "%2e%2e%2f").mkdir(parents=True)
    (layout.briefs / "sub" / "%2e%2e%2f" / "%2e%2e%2fname.md").write_text(
        "---\ntitle: Odd file name\ndate: 2025-01-02\nsummary: S.\nkey_points: [One]\n---\n"
    )
    code, errors = layout.build(capsys)
    assert (code, [e for e in errors if ": warning: " not in e]) == (0, [])
    site = layout.root / "site"
    written = [p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()]
    assert [path for path in written if not set(path) <= set("abcdefghijklmnopqrstuvwxyz0123456789-_./W")] == []
    assert "briefs/2e-2e-2fname/index.html" in written
    tag_pages = sorted(p.split("/")[1] for p in written if p.startswith("tags/") and p.endswith("/index.html"))
    assert {"escape", "tmp-escape", "etc-passwd", "c-windows-evil", "ssh-id-rsa", "site-escape"} <= set(tag_pages)
    assert sorted(p.name for p in layout.root.iterdir()) == sorted(
        [*(p.name for p in (FIXTURES / "valid-site").iterdir()), "site", ".digest-cache"]
    ), "nothing was written beside site/ but the cache"


@pytest.mark.parametrize(
    "config",
    [
        "output: ../outside/site\nout_dir: ../outside\nsite_dir: /tmp\ncache: ../outside\nstatic: ../outside\n",
        "templates: ../outside\nbase_url: https://digest.test/../../\n",
    ],
    ids=["output-keys", "template-and-url-keys"],
)
def test_configuration_keys_never_move_the_output(
    layout: Layout, config: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (layout.root / "digest.yaml").write_text("title: Confined\n" + config)
    code, errors = layout.build(capsys)
    assert (code, errors) == (0, [])
    assert (layout.root / "site" / "index.html").is_file(), "the site went to site/ as always"


@pytest.mark.parametrize("value", ["../outside/tags.yaml", "/etc/passwd", "content/../../outside/tags.yaml"])
def test_a_taxonomy_path_outside_the_site_is_an_error(
    layout: Layout, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (layout.root / "digest.yaml").write_text(f"title: Confined\ntaxonomy: {value}\n")
    code, errors = layout.build(capsys)
    assert code == 1
    assert errors == [
        f"digest.yaml:2: 'taxonomy' must be a relative path without '..', got '{value}'; "
        "expected a path inside the site folder such as content/tags.yaml"
    ]


def _link(path: Path, target: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()
    path.symlink_to(os.path.relpath(target, path.parent), target_is_directory=target.is_dir())


LINKS_OUT = [  # (the link, what it points to in outside/, the files reported)
    ("content/briefs/leak.md", "secret.md", ["content/briefs/leak.md"]),
    ("content/briefs/leaked", "briefs", ["content/briefs/leaked"]),
    ("content/briefs/nested/deeper/leak.md", "secret.md", ["content/briefs/nested/deeper/leak.md"]),
    ("content/briefs", "briefs", ["content/briefs"]),
    ("content", "content", ["content", "content/tags.yaml"]),
    ("content/tags.yaml", "tags.yaml", ["content/tags.yaml"]),
    ("static/leak.txt", "secret.txt", ["static/leak.txt"]),
    ("templates/static/leak.css", "secret.txt", ["templates/static/leak.css"]),
]


@pytest.mark.parametrize(("link", "target", "named"), LINKS_OUT, ids=[link for link, _, _ in LINKS_OUT])
def test_a_link_out_of_the_site_is_reported_not_followed(
    layout: Layout, link: str, target: str, named: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = layout.build(capsys)
    assert code == 0
    site_before = entries(layout.root / "site")
    _link(layout.root / link, layout.outside / target)

    code, errors = layout.build(capsys)
    assert code == 1
    assert errors == [f"{name}: {OUTSIDE}" for name in named]
    assert entries(layout.root / "site") == site_before, "the previous site is unchanged"
    assert SECRET not in layout.published()

    capsys.readouterr()
    assert main(["check", "--root", str(layout.root)]) == 1
    assert f"{named[0]}: {OUTSIDE}" in capsys.readouterr().err


def test_links_inside_the_site_are_followed_once(layout: Layout, capsys: pytest.CaptureFixture[str]) -> None:
    """A linked brief or folder that stays in the site is read; a link to a parent folder is no loop."""
    drafts = layout.root / "drafts"
    drafts.mkdir()
    (drafts / "kept.md").write_text("---\ntitle: Kept\ndate: 2025-01-02\nsummary: S.\nkey_points: [One]\n---\n")
    _link(layout.briefs / "kept.md", drafts / "kept.md")
    _link(layout.briefs / "loop", layout.briefs)
    _link(layout.briefs / "up", layout.root / "content")
    code, errors = layout.build(capsys)
    assert (code, errors) == (0, [])
    site = layout.root / "site"
    assert sorted(p.name for p in (site / "briefs").iterdir()) == ["kept", "valid-brief"]


def test_a_link_inside_the_output_folder_is_replaced_not_written_through(
    layout: Layout, capsys: pytest.CaptureFixture[str]
) -> None:
    """Someone (a deploy tool, a person) left a link in site/ that leads outside: the build
    replaces it with a real folder and writes nothing through it."""
    assert layout.build(capsys) == (0, [])
    site = layout.root / "site"
    shutil.rmtree(site / "briefs")
    _link(site / "briefs", layout.outside / "briefs")
    _link(site / "index.html", layout.outside / "secret.txt")
    assert layout.build(capsys) == (0, [])
    assert not (site / "briefs").is_symlink() and (site / "briefs" / "valid-brief" / "index.html").is_file()
    assert not (site / "index.html").is_symlink()
    assert SECRET not in layout.published()


def test_import_does_not_follow_a_link_out_of_the_site(
    layout: Layout, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sources = layout.root / "content" / "sources"
    sources.mkdir()
    (sources / "fine.txt").write_text(
        "Chip Rules Tighten | Home | News | Harbor Tech Review\nJapan added six tools to its export list today.\n"
    )
    _link(sources / "leak.txt", layout.outside / "secret.txt")
    monkeypatch.chdir(layout.root)
    capsys.readouterr()
    code = main(["import", "--root", ".", "--date", "2025-01-05", "content/sources"])
    captured = capsys.readouterr()
    assert code == 1
    assert captured.err.splitlines() == [f"skipped content/sources/leak.txt: {OUTSIDE}"]
    assert "created content/briefs/chip-rules-tighten.md" in captured.out
    assert all(SECRET not in p.read_text() for p in layout.briefs.rglob("*.md"))


SOURCE = "Chip Rules Tighten | Home | News | Harbor Tech Review\nJapan added six tools to its export list today.\n"
SOURCE_EDITED = SOURCE.replace("six", "seven")


def _import(layout: Layout, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["import", "--root", str(layout.root), "--date", "2025-01-05", *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _plant(path: Path, target: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(os.path.relpath(target, path.parent))


def _backup_names(slug: str) -> list[str]:
    """The names a backup made in the next few seconds could take (they carry the time)."""
    import datetime as dt

    now = dt.datetime.now()
    stamps = [(now + dt.timedelta(seconds=s)).strftime("%Y%m%dT%H%M%S") for s in range(-1, 30)]
    return [f"{slug}.md.bak-{stamp}{suffix}" for stamp in stamps for suffix in ("", "-2", "-3")]


@pytest.mark.parametrize("planted", ["temporary", "brief", "backup", "backup-folder"])
def test_import_never_writes_through_a_planted_link(
    layout: Layout, planted: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A link planted where the importer writes (its temporary file, the brief it replaces, the
    backup of an edited brief, the backup folder) leads to a file outside the site: the file
    outside is never written (the fixture compares everything outside the site)."""
    victim = layout.outside / "victim.sh"
    source = layout.root / "content" / "sources" / "chip.txt"
    source.parent.mkdir()
    source.write_text(SOURCE)
    brief = layout.briefs / "chip-rules-tighten.md"
    backups = layout.root / ".digest-cache" / "import-backups"
    if planted in ("brief", "backup", "backup-folder"):
        assert _import(layout, capsys, str(source))[0] == 0
        assert brief.is_file()
        source.write_text(SOURCE_EDITED)
    if planted == "temporary":
        for name in (".chip-rules-tighten.md.tmp", "chip-rules-tighten.md.tmp", ".chip-rules-tighten.md.swp"):
            _plant(layout.briefs / name, victim)
    elif planted == "brief":
        brief.unlink()
        _plant(brief, victim)
    elif planted == "backup":
        brief.write_text(brief.read_text() + "\nA writer's edit.\n")
        for name in _backup_names("chip-rules-tighten"):
            _plant(backups / name, victim)
    else:
        brief.write_text(brief.read_text() + "\nA writer's edit.\n")
        backups.parent.mkdir(exist_ok=True)
        _plant(backups, layout.outside)
    before = entries(layout.parent, skip=layout.root)

    code, out, err = _import(layout, capsys, "--force", str(source))

    assert entries(layout.parent, skip=layout.root) == before, "nothing outside the site was written"
    assert victim.read_text() == VICTIM
    if planted == "temporary":
        assert code == 0, err
        assert "created" in out and "Japan added six tools" in brief.read_text()
    elif planted == "brief":
        assert code == 1
        assert "content/briefs/chip-rules-tighten.md: a symbolic link" in err
        assert brief.is_symlink(), "the link is reported and left alone"
    elif planted == "backup":
        assert code == 0, err
        made = [p for p in backups.iterdir() if not p.is_symlink()]
        assert len(made) == 1 and "A writer's edit." in made[0].read_text(), "the backup took a free name"
        assert "Japan added seven tools" in brief.read_text()
    else:
        assert code == 1
        assert err.splitlines() == [
            f"skipped {backups}: a symbolic link or not a folder; expected a folder (digest import never writes "
            "through a link); the edited brief is kept as it is"
        ]
        assert "A writer's edit." in brief.read_text(), "the edited brief is kept when its backup cannot be made"


def test_the_serve_inbox_never_writes_through_a_planted_link(layout: Layout) -> None:
    from tests.test_serve import ServeProcess

    victim = layout.outside / "victim.sh"
    _plant(layout.briefs / ".chip-rules-tighten.md.tmp", victim)
    before = entries(layout.parent, skip=layout.root)
    inbox = layout.root / "content" / "sources"
    inbox.mkdir()
    server = ServeProcess(layout.root)
    try:
        (inbox / "chip.txt").write_text(SOURCE)
        server.wait_for(r"import: created \S*content/briefs/chip-rules-tighten\.md")
    finally:
        assert server.stop() == 0
    assert entries(layout.parent, skip=layout.root) == before
    assert "Japan added six tools" in (layout.briefs / "chip-rules-tighten.md").read_text()


def _plant_sources(layout: Layout) -> Path:
    """content/sources/ with a good source and links to a secret outside and to the site's .env and .git."""
    sources = layout.root / "content" / "sources"
    sources.mkdir()
    (sources / "fine.txt").write_text(SOURCE)
    (layout.root / ".env").write_text(f"API_KEY={SECRET}\n")
    (layout.root / ".git").mkdir()
    (layout.root / ".git" / "config").write_text(f"[remote]\n  url = {SECRET}\n")
    _link(sources / "leak.txt", layout.outside / "secret.txt")
    _link(sources / "env.txt", layout.root / ".env")
    _link(sources / "git.txt", layout.root / ".git" / "config")
    _link(sources / "gitdir", layout.root / ".git")
    return sources


def _leaked(layout: Layout) -> list[str]:
    return [p.name for p in layout.root.rglob("*.md") if SECRET in p.read_text(errors="replace")]


@pytest.mark.parametrize("how", ["folder", "glob"])
def test_import_of_a_folder_or_glob_reads_no_link_out_of_the_site_and_no_hidden_file(
    layout: Layout, how: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _plant_sources(layout)
    monkeypatch.chdir(layout.root)
    capsys.readouterr()
    code = main(
        ["import", "--root", ".", "--date", "2025-01-05", "content/sources" if how == "folder" else "content/sources/*"]
    )
    captured = capsys.readouterr()
    assert code == 1
    assert sorted(captured.err.splitlines()) == [
        "skipped content/sources/env.txt: a symbolic link to a hidden file or folder (.env); "
        "expected a link to a file that is not hidden (it is not read)",
        "skipped content/sources/git.txt: a symbolic link to a hidden file or folder (.git/config); "
        "expected a link to a file that is not hidden (it is not read)",
        f"skipped content/sources/leak.txt: {OUTSIDE}",
    ]
    assert "created content/briefs/chip-rules-tighten.md" in captured.out
    assert _leaked(layout) == []


def test_an_explicit_path_outside_the_site_is_the_writers_choice(
    layout: Layout, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _import(layout, capsys, str(layout.outside / "note.txt"))
    assert code == 0 and "created" in out
    assert _leaked(layout) != [], "read, as asked"


def test_the_serve_inbox_reads_no_link_out_of_the_site_and_no_hidden_file(layout: Layout) -> None:
    from tests.test_serve import ServeProcess

    server = ServeProcess(layout.root)
    try:
        _plant_sources(layout)
        server.wait_for(r"import: created \S*content/briefs/chip-rules-tighten\.md")
        log = server.drain(2.0)
    finally:
        assert server.stop() == 0
    skipped = sorted(line for line in log if line.startswith("import: skipped"))
    assert [line.split(": ")[1].rsplit("/", 1)[-1] for line in skipped] == ["env.txt", "git.txt", "leak.txt"], log
    assert _leaked(layout) == []


PRIVATE_LINKS = [  # (the link, where it points inside the site, the error's reason)
    ("static/env.txt", ".env", "a symbolic link to a hidden file or folder (.env)"),
    ("static/config.txt", ".git/config", "a symbolic link to a hidden file or folder (.git/config)"),
    ("static/git", ".git", "a symbolic link to a hidden file or folder (.git)"),
    ("templates/static/env.css", ".env", "a symbolic link to a hidden file or folder (.env)"),
]


@pytest.mark.parametrize(("link", "target", "reason"), PRIVATE_LINKS, ids=[link for link, _, _ in PRIVATE_LINKS])
def test_a_link_in_static_to_a_hidden_file_is_an_error(
    layout: Layout, link: str, target: str, reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (layout.root / ".env").write_text(f"API_KEY={SECRET}\n")
    (layout.root / ".git").mkdir()
    (layout.root / ".git" / "config").write_text(f"[remote]\n  url = {SECRET}\n")
    (layout.root / "static").mkdir()
    (layout.root / "static" / "fine.txt").write_text("fine\n")
    _link(layout.root / link, layout.root / target)
    code, errors = layout.build(capsys)
    assert code == 1
    assert errors == [f"{link}: {reason}; expected a link to a file that is not hidden (it is not read)"]
    assert not (layout.root / "site").exists() or SECRET not in layout.published()


@pytest.mark.parametrize("folder", ["static", "templates/static", "static/sub"])
def test_a_static_folder_that_is_a_link_out_of_the_site_is_an_error(
    layout: Layout, folder: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (layout.root / "static").mkdir()
    (layout.root / "static" / "fine.txt").write_text("fine\n")
    _link(layout.root / folder, layout.outside)
    code, errors = layout.build(capsys)
    assert code == 1
    assert errors == [f"{folder}: {OUTSIDE}"]
    assert not (layout.root / "site").exists() or SECRET not in layout.published()


def test_hidden_files_and_folders_of_static_are_never_published(
    layout: Layout, capsys: pytest.CaptureFixture[str]
) -> None:
    static = layout.root / "static"
    (static / ".git").mkdir(parents=True)
    (static / ".git" / "config").write_text(SECRET)
    (static / ".env").write_text(SECRET)
    (static / "sub" / ".private").mkdir(parents=True)
    (static / "sub" / ".private" / "key.txt").write_text(SECRET)
    (static / "sub" / "fine.txt").write_text("fine\n")
    assert layout.build(capsys) == (0, [])
    site = layout.root / "site"
    assert (site / "sub" / "fine.txt").read_text() == "fine\n"
    assert SECRET not in layout.published()
    assert [p for p in site.rglob(".*")] == []


@pytest.mark.parametrize(
    ("link", "target"),
    [("content/briefs/env.md", ".env"), ("content/briefs/git", ".git"), ("content/tags.yaml", ".git/tags.yaml")],
)
def test_a_brief_or_taxonomy_link_to_a_hidden_file_is_an_error(
    layout: Layout, link: str, target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (layout.root / ".env").write_text(SECRET_BRIEF)
    (layout.root / ".git").mkdir()
    (layout.root / ".git" / "secret.md").write_text(SECRET_BRIEF)
    (layout.root / ".git" / "tags.yaml").write_text(f"tags:\n  secret: {{label: '{SECRET}'}}\n")
    _link(layout.root / link, layout.root / target)
    code, errors = layout.build(capsys)
    assert code == 1
    assert errors == [
        f"{link}: a symbolic link to a hidden file or folder ({target}); "
        "expected a link to a file that is not hidden (it is not read)"
    ]
    assert not (layout.root / "site").exists() or SECRET not in layout.published()
