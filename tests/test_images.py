"""Images in brief bodies: lazy loading, the size of the site's own image files (no layout
shift), and a warning from `digest check` for an image without alt text."""

from __future__ import annotations

import json
import re
import shutil
import struct
import zlib
from pathlib import Path

import pytest

from digest.build.entry import build, open_config
from digest.cli import main
from digest.content.markup import render_body
from tests.conftest import FIXTURES

BRIEF = "content/briefs/older-brief.md"


def png(width: int, height: int) -> bytes:
    """A valid PNG of one grey colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """The golden fixture site with images in a brief's body and one image file in static/."""
    root = tmp_path / "root"
    shutil.copytree(FIXTURES / "golden-site", root)
    (root / "static" / "images").mkdir(parents=True)
    (root / "static" / "images" / "chart.png").write_bytes(png(120, 80))
    brief = root / BRIEF
    brief.write_text(
        brief.read_text().replace(
            "Body text.",
            "Body text.\n\n![Chip exports, 2020-2024](/images/chart.png)\n\n"
            "A remote one: ![Logo](https://example.com/logo.png) and,\non a later line of the paragraph, "
            '![](/images/chart.png "no alt")\n',
        )
    )
    return root


def images(page: Path) -> list[str]:
    return re.findall(r"<img [^>]*>", page.read_text())


def test_body_images_load_lazily_and_decode_off_the_main_thread() -> None:
    html = render_body("Text\n\n![A chart](https://example.org/chart.png)\n").html
    img = re.search(r"<img [^>]*>", html)
    assert img, html
    assert 'loading="lazy"' in img[0] and 'decoding="async"' in img[0] and 'alt="A chart"' in img[0]


def test_local_images_get_their_width_and_height(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(open_config(site), out)
    page = out / "briefs" / "older-brief" / "index.html"
    local, remote, no_alt = images(page)
    assert 'src="/golden/images/chart.png"' in local and 'width="120" height="80"' in local
    assert 'loading="lazy"' in local and 'decoding="async"' in local
    assert "width=" not in remote, "a remote image's size is unknown: the build never fetches it"
    assert 'width="120"' in no_alt
    assert (out / "images" / "chart.png").is_file()

    # the image file changes size: the next (incremental) build shows the new size
    (site / "static" / "images" / "chart.png").write_bytes(png(60, 90))
    build(open_config(site), out)
    assert 'width="60" height="90"' in images(page)[0]

    # and a missing file: no size, no error
    (site / "static" / "images" / "chart.png").unlink()
    build(open_config(site), out)
    assert "width=" not in images(page)[0]


def test_check_warns_about_an_image_without_alt_text(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["check", "--root", str(site), "--format", "json"]) == 0, "a warning, not an error"
    report = json.loads(capsys.readouterr().out)
    lines = (site / BRIEF).read_text().splitlines()
    line = next(n for n, text in enumerate(lines, start=1) if '"no alt"' in text)
    messages = [f"{w['path']}:{w['line']}: {w['message']}" for w in report["warnings"]]
    assert [m for m in messages if "alt text" in m] == [
        f"{BRIEF}:{line}: image '/images/chart.png' has no alt text; expected a short description of what it "
        "shows, as in ![Chart of chip exports](/images/chart.png)"
    ]
    assert main(["check", "--root", str(site)]) == 0
    assert f"{BRIEF}:{line}: warning: image '/images/chart.png' has no alt text" in capsys.readouterr().err
