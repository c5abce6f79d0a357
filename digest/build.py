"""The build: one pipeline from files to a complete site, used by `digest build` and `check`."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from digest.config import Config, load_config
from digest.content import load_briefs
from digest.errors import ContentError, Problem
from digest.model import Brief, Taxonomy
from digest.output import WriteStats, write_outputs
from digest.pages import plan_pages
from digest.render import render_pages
from digest.site import Site, build_site
from digest.taxonomy import empty_taxonomy, load_taxonomy
from digest.templates import make_environment, theme_assets


@dataclass(frozen=True)
class BuildResult:
    out_dir: Path
    site: Site
    pages: int
    stats: WriteStats
    seconds: float

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return self.site.problems


def load_content(config: Config) -> tuple[Taxonomy, tuple[Brief, ...]]:
    """Taxonomy and briefs; all problems of both reported together."""
    problems: list[Problem] = []
    try:
        taxonomy = load_taxonomy(config.root, config.taxonomy)
    except ContentError as exc:
        problems.extend(exc.problems)
        taxonomy = empty_taxonomy(config.taxonomy)
    try:
        briefs = load_briefs(config, taxonomy)
    except ContentError as exc:
        problems.extend(exc.problems)
        briefs = ()
    if problems:
        raise ContentError(problems)
    return taxonomy, briefs


def render_site(config: Config) -> tuple[Site, dict[str, bytes], int]:
    """Everything up to the bytes of every output file, without touching the output folder."""
    taxonomy, briefs = load_content(config)
    site = build_site(config, taxonomy, briefs)
    pages = plan_pages(site)
    outputs = render_pages(site, pages, make_environment(config.root))
    for relative, data in theme_assets(config.root).items():
        if relative in outputs:
            raise ContentError(
                [
                    Problem(
                        f"static/{relative}",
                        0,
                        f"static file collides with the generated page /{relative}; expected another name",
                    )
                ]
            )
        outputs[relative] = data
    return site, outputs, len(pages)


def build(config: Config, out_dir: Path) -> BuildResult:
    """Render the whole site, then replace `out_dir` with it in one step."""
    started = time.perf_counter()
    site, outputs, pages = render_site(config)
    stats = write_outputs(out_dir, outputs)
    return BuildResult(out_dir, site, pages, stats, time.perf_counter() - started)


def open_config(root: Path, *, drafts: bool = False, base_url: str | None = None) -> Config:
    config = load_config(root)
    return config.with_overrides(drafts=drafts or None, base_url=base_url)
