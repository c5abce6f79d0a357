"""`digest check`: everything the build validates, plus warnings a writer should see."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from digest.assets import publish_assets
from digest.config import Config
from digest.content import load_content
from digest.errors import ContentError, Problem
from digest.images import image_sizes
from digest.model import Brief, Taxonomy
from digest.pages import plan_pages
from digest.render import render_pages
from digest.site import Site, build_site
from digest.templates import make_environment, theme_assets

CONFIG_KEYS = ("title", "description", "base_url", "language", "author", "per_page", "timezone", "taxonomy", "search")


@dataclass(frozen=True)
class CheckReport:
    errors: tuple[Problem, ...]
    warnings: tuple[Problem, ...]
    briefs: int
    review: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (brief, what to check) of the drafts waiting for review

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": not self.errors,
            "briefs": self.briefs,
            "errors": [p.as_dict() for p in self.errors],
            "warnings": [p.as_dict() for p in self.warnings],
            "review": [{"path": path, "fields": list(fields)} for path, fields in self.review],
        }


def check_site(config: Config) -> CheckReport:
    """Validate content, taxonomy, templates and links; nothing is written."""
    try:
        taxonomy, loaded = load_content(config)
    except ContentError as exc:
        return CheckReport(exc.problems, (), 0)
    briefs = loaded.briefs
    site = build_site(config, taxonomy, briefs, images=image_sizes(config.root, briefs), body_keys=loaded.body_keys)
    warnings = list(site.problems) + tag_warnings(site) + config_warnings(config)
    errors: list[Problem] = [p for p in warnings if p.severity == "error"]
    try:
        assets = publish_assets(theme_assets(config.root), fingerprint=False).names
        render_pages(site, plan_pages(site), make_environment(config.root), loaded.bodies, assets)
    except ContentError as exc:
        errors.extend(exc.problems)
    return CheckReport(
        tuple(sorted(errors)),
        tuple(sorted(p for p in warnings if p.severity != "error")),
        len(briefs),
        review_queue(briefs),
    )


def review_queue(briefs: Sequence[Brief]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The drafts whose `review:` (set by `digest import`) still names fields to check."""
    queue = []
    for brief in briefs:
        fields = getattr(brief, "review", None) or brief.extra.get("review")
        if brief.draft and isinstance(fields, (list, tuple)) and fields:
            queue.append((brief.path, tuple(str(f) for f in fields)))
    return tuple(sorted(queue))


def tag_warnings(site: Site) -> list[Problem]:
    """Unknown tags (with the closest known tag) and unknown tags that look like each other."""
    problems = []
    taxonomy = site.taxonomy
    known_names = _known_names(taxonomy)
    unknown = [t for t in site.tags.values() if not t.known]
    for brief in site.briefs:
        for index, slug in enumerate(brief.tags):
            tag = site.tags[slug]
            if tag.known:
                continue
            line = brief.lines.get(f"tags.{index}", brief.lines.get("tags", 1))
            written = brief.tag_labels.get(slug, slug)
            message = f"tag '{written}' is not in {taxonomy.path}"
            close = difflib.get_close_matches(written.casefold(), list(known_names), n=1, cutoff=0.75)
            if close:
                message += f"; did you mean '{known_names[close[0]]}'?"
            else:
                message += f"; expected a slug, label or alias from {taxonomy.path} (or add '{slug}' there)"
            problems.append(Problem(brief.path, line, message, "warning"))
    for index, tag in enumerate(unknown):
        for other in unknown[index + 1 :]:
            if difflib.SequenceMatcher(None, tag.slug, other.slug).ratio() >= 0.85:
                first = other.briefs[-1]
                problems.append(
                    Problem(
                        first.path,
                        first.lines.get("tags", 1),
                        f"tags '{tag.label}' and '{other.label}' look like near-duplicates; expected one spelling",
                        "warning",
                    )
                )
    return problems


def _known_names(taxonomy: Taxonomy) -> dict[str, str]:
    names: dict[str, str] = {}
    for slug, definition in taxonomy.tags.items():
        for name in (slug, definition.label, *definition.aliases):
            names.setdefault(name.casefold(), slug)
    return names


def config_warnings(config: Config) -> list[Problem]:
    problems = []
    for key in config.extra:
        close = difflib.get_close_matches(key, CONFIG_KEYS, n=1, cutoff=0.75)
        if close:
            problems.append(Problem("digest.yaml", 0, f"unknown key '{key}'; did you mean '{close[0]}'?", "warning"))
    return problems
