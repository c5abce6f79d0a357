"""The output folder and the cache folder are digest's only where digest made them: the build
removes only what a build wrote, refuses a folder that is not its own, and never trusts (or
writes through) a cache folder it did not make."""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import tree, without_content_warnings
from tests.sitegen import make_site
from tests.test_incremental import clean_build


def everything(folder: Path, skip: tuple[str, ...] = (".digest-cache",)) -> dict[str, bytes | str]:
    """Every file and link under `folder` (links not followed), but the cache folders."""
    found: dict[str, bytes | str] = {}
    for current, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d not in skip]
        for name in dirs + files:
            path = Path(current) / name
            rel = path.relative_to(folder).as_posix()
            if path.is_symlink():
                found[rel] = f"-> {os.readlink(path)}"
            elif path.is_file():
                found[rel] = path.read_bytes()
            else:
                found[rel] = "folder"
    return found


def run(root: Path, *arguments: str) -> tuple[int, str]:
    """`digest build` as a user runs it: its exit code and what it printed on stderr."""
    done = subprocess.run(
        [sys.executable, "-m", "digest", "build", "--root", str(root), "--quiet", *arguments],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, without_content_warnings(done.stderr)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    make_site(root, 8, seed=3)
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("[core]\n")
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "notes.txt").write_text("my notes")
    (victim / "index.html").write_text("my page")
    other = tmp_path / "other-site"
    make_site(other, 2, seed=4)
    return root


@pytest.mark.parametrize(
    ("out", "says"),
    [
        (".", "would be the site folder or hold it"),
        ("..", "would be the site folder or hold it"),
        ("content", "inside the site's content/"),
        ("content/briefs", "inside the site's content/"),
        ("templates", "inside the site's templates/"),
        ("../other-site", "holds a digest.yaml"),
        ("../victim", "holds files that no digest build wrote (such as '"),
        (".git", "holds files that no digest build wrote (such as 'config')"),
    ],
)
def test_an_out_folder_that_is_not_digests_is_refused(site: Path, out: str, says: str) -> None:
    (site / "templates").mkdir()
    (site / "templates" / "note.txt").write_text("a theme file")
    before = everything(site.parent)
    code, err = run(site, "--out", str(site / out))
    assert code == 2, err
    assert err.startswith(f"digest: error: {site / out}: the output folder ") and says in err, err
    assert err.count("\n") == 1, "one line"
    assert everything(site.parent) == before, "nothing written, nothing removed"


def test_a_site_folder_that_is_a_link_is_refused(site: Path) -> None:
    """A committed `site` link (`/site/` in .gitignore matches only folders) to a folder elsewhere."""
    (site / "site").symlink_to("../victim")
    before = everything(site.parent)
    code, err = run(site)
    assert code == 2
    assert err == f"digest: error: {site / 'site'}: the output folder is a symbolic link (to ../victim); " + (
        "expected a real folder (remove the link: the next build makes the folder)\n"
    )
    assert everything(site.parent) == before


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to give a folder away")
def test_folders_of_another_user_are_refused(site: Path) -> None:
    assert run(site)[0] == 0
    os.chown(site / "site", 4321, 4321)
    code, err = run(site)
    assert code == 2 and "the output folder belongs to another user (uid 4321)" in err
    os.chown(site / "site", 0, 0)
    os.chown(site / ".digest-cache", 4321, 4321)
    code, err = run(site)
    assert code == 2 and err.startswith(f"digest: error: {site / '.digest-cache'} belongs to another user (uid 4321)")


def test_only_what_a_build_wrote_is_ever_removed(site: Path, tmp_path: Path) -> None:
    """Files a person put into the output folder stay; pages the site no longer has go."""
    assert run(site)[0] == 0
    (site / "site" / "CNAME").write_text("digest.example.org")
    (site / "site" / "briefs" / "brief-1" / "notes.txt").write_text("mine")
    (site / "site" / "extra").mkdir()
    (site / "site" / "extra" / "a.txt").write_text("mine too")
    (site / "content" / "briefs" / "brief-1.md").unlink()
    assert run(site)[0] == 0
    assert not (site / "site" / "briefs" / "brief-1" / "index.html").exists(), "the removed brief's page goes"
    assert (site / "site" / "CNAME").read_text() == "digest.example.org"
    assert (site / "site" / "briefs" / "brief-1" / "notes.txt").read_text() == "mine"
    assert (site / "site" / "extra" / "a.txt").read_text() == "mine too"
    mine = {"CNAME", "briefs/brief-1/notes.txt", "extra/a.txt"}
    built = {k: v for k, v in tree(site / "site").items() if k not in mine}
    assert built == clean_build(site, tmp_path / "reference")


def test_the_quick_start_builds_twice_and_a_site_an_older_digest_built_is_kept(site: Path, tmp_path: Path) -> None:
    """A clone built twice; then the site and cache as an older digest left them (a cache
    folder open to others, with no manifest): taken as digest's, with a note, and rebuilt clean."""
    assert run(site) == (0, "")
    assert run(site) == (0, "")
    cache = site / ".digest-cache"
    for manifest in cache.glob("written-*"):
        manifest.unlink()
    cache.chmod(0o755)
    (site / "content" / "briefs" / "brief-2.md").unlink()
    code, err = run(site)
    assert code == 0, err
    assert err == (
        f"WARNING: {cache} is open to other users (mode 755), so nothing in it is trusted; "
        "it is made again, empty (a clean build)\n"
    )
    assert tree(site / "site") == clean_build(site, tmp_path / "reference"), "the old page of brief-2 is gone"
    assert cache.stat().st_mode & 0o777 == 0o700
    assert run(site) == (0, "")


class Planted:
    """A pickle that, when loaded, creates a marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, ...]:
        return (Path.write_text, (self.marker, "the planted pickle ran"))


def plant(folder: Path, marker: Path) -> None:
    """Pickles under every name the cache loads."""
    folder.mkdir(parents=True, exist_ok=True)
    names = ["briefs.pickle", "briefs-delta.pickle", "outputs.pickle", "memo.pickle", "cache.pickle"]
    names += [f"state-{n:016x}.pickle" for n in range(1)]
    for name in names:
        (folder / name).write_bytes(pickle.dumps(Planted(marker)))


def state_names(root: Path) -> list[str]:
    """The names the cache gives the files about the root's default output folder."""
    from digest.build.cache import record_key

    key = record_key((root / "site").absolute())
    return [f"state-{key}.pickle", f"search-{key}.pickle"]


def test_a_linked_cache_folder_is_refused_never_read_or_written_through(site: Path, tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    elsewhere = tmp_path / "elsewhere"
    plant(elsewhere, marker)
    for name in state_names(site):
        (elsewhere / name).write_bytes(pickle.dumps(Planted(marker)))
    (site / ".digest-cache").symlink_to(elsewhere)
    before = everything(elsewhere)
    code, err = run(site)
    assert code == 2
    assert err == (
        f"digest: error: {site / '.digest-cache'} is a symbolic link (to {elsewhere}); expected a folder digest "
        "made (remove the link: the next build makes the folder)\n"
    )
    assert not marker.exists(), "no planted pickle ran"
    assert everything(elsewhere) == before, "nothing written through the link"
    assert not (site / "site").exists()
    # `digest serve` refuses it too, before it serves anything.
    served = subprocess.run(
        [sys.executable, "-m", "digest", "serve", "--root", str(site), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert served.returncode == 2 and "is a symbolic link" in served.stderr
    assert not marker.exists() and everything(elsewhere) == before


def test_a_planted_pickle_in_a_cache_folder_digest_did_not_make_never_runs(site: Path, tmp_path: Path) -> None:
    """A `.digest-cache` committed to git (a clone makes it open to others, mode 755)."""
    marker = tmp_path / "marker"
    cache = site / ".digest-cache"
    plant(cache, marker)
    for name in state_names(site):
        (cache / name).write_bytes(pickle.dumps(Planted(marker)))
    (cache / "import-backups").mkdir()
    (cache / "import-backups" / "brief-1.md.bak-1").write_text("a writer's old version")
    cache.chmod(0o755)
    code, err = run(site)
    assert code == 0, err
    assert "so nothing in it is trusted; it is made again, empty (a clean build)" in err
    assert not marker.exists(), "no planted pickle ran"
    backup = cache / "import-backups" / "brief-1.md.bak-1"
    assert backup.read_text() == "a writer's old version", "digest import's backups are kept"
    assert tree(site / "site") == clean_build(site, tmp_path / "reference")
    # The same through `digest serve`, which loads its cache before its first build.
    shutil.rmtree(cache)
    plant(cache, marker)
    cache.chmod(0o755)
    process = subprocess.Popen(
        [sys.executable, "-m", "digest", "serve", "--root", str(site), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("Serving "):
                break
    finally:
        process.kill()
        process.wait()
    assert not marker.exists(), "no planted pickle ran"


def test_a_cache_folder_holding_only_import_backups_is_made_private_quietly(site: Path) -> None:
    """`digest import` before any build made the folder (with the usual permissions)."""
    backups = site / ".digest-cache" / "import-backups"
    backups.mkdir(parents=True)
    (backups / "brief-1.md.bak-1").write_text("a writer's old version")
    (site / ".digest-cache").chmod(0o755)
    assert run(site) == (0, "")
    assert (backups / "brief-1.md.bak-1").read_text() == "a writer's old version"
    assert (site / ".digest-cache").stat().st_mode & 0o777 == 0o700


@pytest.mark.parametrize("planted", ["lock", "journal", "manifest", "the rest"])
def test_links_planted_at_the_files_of_the_cache_are_never_written_through(
    site: Path, tmp_path: Path, planted: str
) -> None:
    """The lock and the journal are opened without following links (an error); every other file
    of the cache is written to a new name and renamed over the link (the build succeeds)."""
    assert run(site) == (0, "")
    cache = site / ".digest-cache"
    from digest.build.cache import record_key

    key = record_key((site / "site").absolute())
    names = {"lock": ["build.lock"], "journal": [f"writing-{key}"], "manifest": [f"written-{key}"]}.get(planted)
    if names is None:
        names = ["briefs.pickle", "outputs.pickle", "memo.pickle", "cache.pickle", ".gitignore"]
        names += [f"state-{key}.pickle", f"search-{key}.pickle"]
        names += [f".{name}.{pid}.tmp" for name in ("briefs.pickle", "outputs.pickle") for pid in range(2, 400)]
    victims = tmp_path / "victims"
    victims.mkdir()
    for n, name in enumerate(names):
        (victims / f"v{n}").write_text("someone's file")
        (cache / name).unlink(missing_ok=True)
        (cache / name).symlink_to(victims / f"v{n}")
    before = everything(victims)
    path = site / "content" / "briefs" / "brief-3.md"
    path.write_text(path.read_text() + "\nAn edit.\n")
    code, err = run(site)
    if planted == "the rest":
        assert code == 0, err
        assert tree(site / "site") == clean_build(site, tmp_path / "reference")
    elif planted == "manifest":  # (a link is no record: what it held is forgotten, never read or written)
        assert code == 0, err
        assert not (cache / names[0]).is_symlink()
    else:
        assert code == 1 and err.startswith("digest: error: cannot ") and err.count("\n") == 1, err
        assert "Too many levels of symbolic links" in err
    assert everything(victims) == before, "nothing written through a link"
