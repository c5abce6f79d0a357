"""Where the theme's templates are: the site's own `templates/`, then the default theme.
(Apart from the Jinja environment: the build's quick check reads these without loading Jinja.)"""

from __future__ import annotations

from pathlib import Path


def default_theme_dir() -> Path:
    """The default theme: inside the installed package, or `templates/` of a source checkout."""
    package = Path(__file__).parent.parent
    packaged = package / "templates"
    if packaged.is_dir():
        return packaged
    return package.parent / "templates"


def theme_dirs(root: Path) -> list[Path]:
    """Template folders, highest priority first: the site's own, then the default theme."""
    dirs = [root / "templates", default_theme_dir()]
    unique: list[Path] = []
    for d in dirs:
        if d.is_dir() and all(d.resolve() != u.resolve() for u in unique):
            unique.append(d)
    return unique
