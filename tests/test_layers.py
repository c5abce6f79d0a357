"""The packages of digest import one way (docs/ARCHITECTURE.md, "The packages"): a package
imports only the packages below it, so the content model never depends on the build, nor
the site on search or the theme."""

from __future__ import annotations

import ast

from tests.conftest import REPO

FLOOR = {
    "core": 0,
    "content": 1,
    "site": 2,
    "theme": 3,
    "search": 3,
    "build": 4,
    "ingest": 4,
    "mail": 4,
    "serve": 5,
    "cli": 6,
}


def imports_of(package: str) -> list[tuple[str, str]]:
    """(module, imported digest package) for every import in `package`, lazy ones too."""
    found = []
    for path in sorted((REPO / "digest" / package).glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                parts = name.split(".")
                if parts[0] == "digest" and len(parts) > 1:
                    found.append((f"{package}/{path.name}", parts[1]))
    return found


def test_every_module_belongs_to_a_package_of_the_house() -> None:
    packages = {p.name for p in (REPO / "digest").iterdir() if (p / "__init__.py").is_file()}
    assert packages == set(FLOOR), "a new package needs its floor here and in docs/ARCHITECTURE.md"
    loose = sorted(p.name for p in (REPO / "digest").glob("*.py"))
    assert loose == ["__init__.py", "__main__.py"]


def test_no_import_runs_back_up_or_sideways() -> None:
    wrong = [
        f"{module} imports digest.{target}"
        for package, floor in FLOOR.items()
        for module, target in imports_of(package)
        if target != package and (target not in FLOOR or FLOOR[target] >= floor)
    ]
    assert wrong == []


def test_serve_runs_digest_import_and_never_loads_the_importer() -> None:
    """The inbox of `digest serve` runs `digest import` in a process of its own, as a writer
    would: `serve` sits above `ingest`, yet knows nothing of it."""
    assert [f"{module} imports digest.ingest" for module, target in imports_of("serve") if target == "ingest"] == []
