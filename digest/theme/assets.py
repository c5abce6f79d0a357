"""Theme assets as published: stylesheets and scripts minified and fingerprinted.

`digest build` writes `static/style.css` of the theme as `static/style.<hash>.css`, minified, so a
host can cache it for a year and a changed stylesheet still reaches every reader at once.
`digest serve` keeps the plain names and bytes (readable while editing; the live-reload script
swaps a changed stylesheet in place). Templates ask for an asset by its plain name:
`{{ asset('style.css') }}`. Files of the site's own `static/` folder (favicons, CNAME, images)
are copied as they are.
"""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass

import rcssmin
import rjsmin

from digest.theme.environment import THEME_ASSETS

_MINIFIERS = {
    ".css": lambda text: rcssmin.cssmin(text),
    ".js": lambda text: rjsmin.jsmin(text),
}


@dataclass(frozen=True)
class Assets:
    files: Mapping[str, bytes]  # output path -> bytes
    names: Mapping[str, str]  # plain theme name ('style.css') -> output path ('static/style.1a2b3c4d5e.css')


def publish_assets(raw: Mapping[str, bytes], *, fingerprint: bool) -> Assets:
    """`raw` as `theme_assets()` returns it; theme stylesheets and scripts minified and renamed
    after their content when `fingerprint` is set."""
    files: dict[str, bytes] = {}
    names: dict[str, str] = {}
    for path, data in raw.items():
        stem, ext = posixpath.splitext(path)
        theme_file = path.startswith(THEME_ASSETS + "/")
        if theme_file:
            names[path.removeprefix(THEME_ASSETS + "/")] = path
        if not (fingerprint and theme_file and ext in _MINIFIERS):
            files[path] = data
            continue
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            files[path] = data
            continue
        data = _MINIFIERS[ext](text).encode("utf-8")
        published = f"{stem}.{hashlib.sha256(data).hexdigest()[:10]}{ext}"
        files[published] = data
        names[path.removeprefix(THEME_ASSETS + "/")] = published
    return Assets(files, names)
