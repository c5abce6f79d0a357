"""Theme assets as published: minified, named after their bytes, and every page pointing at them."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from digest.build.entry import build, open_config
from digest.core.errors import ContentError
from tests.conftest import FIXTURES, REPO, copy_site

STYLESHEET = re.compile(r'<link rel="stylesheet" href="/(static/style\.([0-9a-f]{10})\.css)">')


def stylesheet_of(page: Path) -> str:
    found = STYLESHEET.search(page.read_text(encoding="utf-8"))
    assert found, f"{page} links no fingerprinted stylesheet"
    return found[1]


def test_the_stylesheet_is_minified_and_named_after_its_bytes(sample_site: Path) -> None:
    name = stylesheet_of(sample_site / "index.html")
    published = (sample_site / name).read_bytes()
    source = (REPO / "templates" / "static" / "style.css").read_bytes()
    assert hashlib.sha256(published).hexdigest()[:10] in name
    assert len(published) < 0.85 * len(source)
    assert b"/*" not in published and b"\n  " not in published
    assert b"prefers-color-scheme:dark" in published.replace(b" ", b""), "rules survive minification"
    assert not (sample_site / "static" / "style.css").exists()
    pages = list(sample_site.rglob("*.html"))
    assert pages and all(stylesheet_of(p) == name for p in pages)


def test_a_stylesheet_edit_renames_it_everywhere_and_removes_the_old_one(tmp_path: Path) -> None:
    root = copy_site(FIXTURES / "valid-site", tmp_path / "root")
    out = tmp_path / "site"
    config = open_config(root, base_url="https://example.org/")
    build(config, out)
    before = stylesheet_of(out / "index.html")
    theme = root / "templates" / "static"
    theme.mkdir(parents=True)
    css = (REPO / "templates" / "static" / "style.css").read_text(encoding="utf-8")
    (theme / "style.css").write_text(css + "\n.lead { font-size: 1.3rem; }\n", encoding="utf-8")
    build(config, out)
    after = stylesheet_of(out / "index.html")
    assert after != before
    assert not (out / before).exists(), "the old stylesheet is removed"
    assert b".lead{font-size:1.3rem}" in (out / after).read_bytes()
    for page in out.rglob("*.html"):
        assert stylesheet_of(page) == after, page
    clean = tmp_path / "clean"
    build(config, clean, clean=True)
    assert sorted(p.relative_to(clean).as_posix() for p in clean.rglob("*") if p.is_file()) == sorted(
        p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()
    )


def test_the_search_script_is_minified_and_fingerprinted(sample_site: Path) -> None:
    page = (sample_site / "search" / "index.html").read_text(encoding="utf-8")
    found = re.search(r'<script type="module" src="/(static/search\.[0-9a-f]{10}\.js)"></script>', page)
    assert found
    published = (sample_site / found[1]).read_bytes()
    assert len(published) < (REPO / "templates" / "static" / "search.js").stat().st_size
    assert b"// " not in published


def test_an_unknown_asset_name_is_a_template_error_naming_the_line(tmp_path: Path) -> None:
    root = copy_site(FIXTURES / "valid-site", tmp_path / "root")
    (root / "templates").mkdir()
    (root / "templates" / "404.html").write_text(
        '{% extends "base.html" %}\n{% block main %}\n<img src="{{ asset(\'logo.png\') }}" alt="">\n{% endblock %}\n',
        encoding="utf-8",
    )
    try:
        build(open_config(root), tmp_path / "site")
    except ContentError as exc:
        message = str(exc.problems[0])
    else:
        raise AssertionError("the build should fail")
    assert message.startswith("templates/404.html:3: ")
    assert "no theme asset 'logo.png'" in message
