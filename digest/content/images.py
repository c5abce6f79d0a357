"""Images in brief bodies: which of them are the site's own files, and their sizes.

An image written with a root-relative path (`![Chart](/images/chart.png)`) is a file of the
site's `static/` folder (copied to the output root). The build reads the width and height of
those files (from their headers only) so pages reserve the image's space before it loads.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from urllib.parse import unquote, urlsplit

from digest.core.memo import same_inputs
from digest.core.model import Brief

STATIC_DIR = "static"


def local_path(src: str) -> str | None:
    """The site path of an image that is a file of the site (`/images/a.png`), or None for
    images elsewhere (other hosts, relative paths)."""
    if not src.startswith("/") or src.startswith("//"):
        return None
    path = unquote(urlsplit(src).path)
    parts = path.split("/")
    if any(part in ("..", ".") for part in parts) or "\\" in path:
        return None
    return path


@same_inputs(lambda briefs: ((briefs,), None))
def _image_paths(briefs: Iterable[Brief]) -> list[str]:
    """The site's own image files the briefs show (the same while the briefs are: digest serve
    after an edit of a body keeps the briefs it had)."""
    return sorted({p for b in briefs for p in (local_path(i.src) for i in b.images) if p})


def image_sizes(root: Path, briefs: Iterable[Brief]) -> Mapping[str, tuple[int, int]]:
    """(width, height) of every image of the briefs that is a readable file in `static/`."""
    base = root / STATIC_DIR
    paths = _image_paths(briefs)
    sizes: dict[str, tuple[int, int]] = {}
    if not paths or not base.is_dir():
        return MappingProxyType(sizes)
    import imagesize  # (here: it imports urllib's HTTP client, which a site without images never needs)

    for path in paths:
        file = base / path.lstrip("/")
        if not file.is_file():
            continue
        width, height = imagesize.get(str(file))
        if width > 0 and height > 0:
            sizes[path] = (int(width), int(height))
    return MappingProxyType(sizes)
