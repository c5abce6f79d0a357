"""The taxonomy: `content/tags.yaml`, groups of tags with labels, aliases and descriptions."""

from __future__ import annotations

import os
import re
from pathlib import Path
from types import MappingProxyType

from digest.content.sourcefile import OUTSIDE, link_problem, read_text
from digest.content.yamldoc import YamlDoc, parse_file
from digest.core.errors import ContentError, Problem
from digest.core.model import TagDef, Taxonomy

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def empty_taxonomy(rel: str) -> Taxonomy:
    return Taxonomy(rel, MappingProxyType({}), MappingProxyType({}))


def load_taxonomy(root: Path, rel: str) -> Taxonomy:
    """Read the taxonomy file (optional); raise ContentError listing every problem."""
    path = root / rel
    if not path.resolve().is_relative_to(root.resolve()):
        raise ContentError([Problem(rel, 0, OUTSIDE)])
    if path.is_symlink():  # (to a hidden file of the site, such as .env: never read)
        problem = link_problem(os.path.realpath(root), os.path.realpath(path))
        if problem is not None:
            raise ContentError([Problem(rel, 0, problem)])
    if not path.exists():
        return empty_taxonomy(rel)
    text = read_text(path, rel)
    known = _LAST.get(rel)
    if known is not None and known[0] == text:
        return known[1]  # the same text, the same (immutable) taxonomy: a rebuild keeps its plan
    taxonomy = _parse(text, rel)
    _LAST[rel] = (text, taxonomy)
    return taxonomy


_LAST: dict[str, tuple[str, Taxonomy]] = {}  # the last taxonomy read, by its file


def _parse(text: str, rel: str) -> Taxonomy:
    doc = parse_file(text, rel)
    data = doc.data
    if data is None:
        return empty_taxonomy(rel)
    if not isinstance(data, dict):
        raise ContentError(
            [
                Problem(
                    rel,
                    1,
                    "the taxonomy must be a mapping with 'groups' and 'tags'; expected `groups: {...}` and `tags: {...}`",
                )
            ]
        )
    problems: list[Problem] = []
    for key in data:
        if key not in ("groups", "tags"):
            problems.append(Problem(rel, doc.line(str(key)), f"unknown key '{key}'; expected only 'groups' and 'tags'"))
    groups = _groups(doc, rel, data.get("groups") or {}, problems)
    raw_tags = data.get("tags") or {}
    if not isinstance(raw_tags, dict):
        problems.append(
            Problem(
                rel, doc.line("tags"), "'tags' must be a mapping; expected `tags: {slug: {label: ..., group: ...}}`"
            )
        )
        raw_tags = {}
    tags: dict[str, TagDef] = {}
    names = _Names(rel, problems)
    for slug, spec in raw_tags.items():
        tag = _tag(doc, rel, slug, spec, groups, problems)
        if tag is None:
            continue
        names.claim(tag.slug, tag.slug, tag.line)
        names.claim(tag.label, tag.slug, doc.line("tags", tag.slug, "label"))
        for index, alias in enumerate(tag.aliases):
            names.claim(alias, tag.slug, doc.line("tags", tag.slug, "aliases", index))
        tags[tag.slug] = tag
    if problems:
        raise ContentError(problems)
    lookup = {name: slug for name, (slug, _) in names.owner.items()}
    return Taxonomy(rel, MappingProxyType(groups), MappingProxyType(tags), MappingProxyType(lookup))


def _groups(doc: YamlDoc, rel: str, raw: object, problems: list[Problem]) -> dict[str, str]:
    """The tag groups: slug -> label."""
    if not isinstance(raw, dict):
        problems.append(
            Problem(
                rel,
                doc.line("groups"),
                "'groups' must be a mapping; expected e.g. `groups: {country: Countries, topic: Topics}`",
            )
        )
        return {}
    groups: dict[str, str] = {}
    for slug, label in raw.items():
        line = doc.line("groups", str(slug))
        if not isinstance(slug, str) or not SLUG.match(slug):
            problems.append(
                Problem(rel, line, f"group '{slug}' is not a slug; expected lowercase letters, digits and '-'")
            )
        elif not isinstance(label, str) or not label.strip():
            problems.append(Problem(rel, line, f"group '{slug}' needs a label; expected `{slug}: Label`"))
        else:
            groups[slug] = label.strip()
    return groups


class _Names:
    """Every slug, label and alias must name one tag (compared casefolded)."""

    def __init__(self, rel: str, problems: list[Problem]) -> None:
        self.rel, self.problems = rel, problems
        self.owner: dict[str, tuple[str, int]] = {}  # casefolded name -> (slug, line)

    def claim(self, name: str, slug: str, line: int) -> None:
        key = name.strip().casefold()
        if key in self.owner and self.owner[key][0] != slug:
            other, other_line = self.owner[key]
            self.problems.append(
                Problem(
                    self.rel,
                    line,
                    f"'{name}' of tag '{slug}' is already used by tag '{other}' (line {other_line}); expected each slug, label and alias to name one tag",
                )
            )
        else:
            self.owner.setdefault(key, (slug, line))


def _tag(
    doc: YamlDoc, rel: str, slug: object, spec: object, groups: dict[str, str], problems: list[Problem]
) -> TagDef | None:
    """One tag's definition, or None with its problems added."""
    line = doc.line("tags", str(slug))
    if not isinstance(slug, str) or not SLUG.match(slug):
        problems.append(
            Problem(
                rel,
                line,
                f"tag '{slug}' is not a slug; expected lowercase letters, digits and '-', e.g. export-controls",
            )
        )
        return None
    if spec is None:
        spec = {}
    if not isinstance(spec, dict):
        problems.append(
            Problem(rel, line, f"tag '{slug}' must be a mapping; expected `{slug}: {{label: ..., group: ...}}`")
        )
        return None
    before = len(problems)
    for key in spec:
        if key not in ("label", "group", "aliases", "description"):
            problems.append(
                Problem(
                    rel,
                    doc.line("tags", slug, str(key)),
                    f"unknown key '{key}' in tag '{slug}'; expected label, group, aliases or description",
                )
            )
    label = spec.get("label", slug)
    if not isinstance(label, str) or not label.strip():
        problems.append(
            Problem(
                rel, doc.line("tags", slug, "label"), f"tag '{slug}' has an empty label; expected a non-empty string"
            )
        )
    group = spec.get("group")
    if group is not None and (not isinstance(group, str) or group not in groups):
        known = ", ".join(groups) or "none defined"
        named = f"unknown group '{group}'" if isinstance(group, str) else "a group that is not a name"
        problems.append(
            Problem(rel, doc.line("tags", slug, "group"), f"tag '{slug}' names {named}; expected one of: {known}")
        )
    aliases = spec.get("aliases") or []
    if isinstance(aliases, str):
        aliases = [aliases]
    if not isinstance(aliases, list) or not all(isinstance(a, (str, int, float)) and str(a).strip() for a in aliases):
        problems.append(
            Problem(
                rel,
                doc.line("tags", slug, "aliases"),
                f"aliases of tag '{slug}' must be a list of names; expected e.g. `aliases: [PRC, Chinese]`",
            )
        )
    description = spec.get("description") or ""
    if not isinstance(description, str):
        problems.append(
            Problem(
                rel,
                doc.line("tags", slug, "description"),
                f"description of tag '{slug}' must be text; expected a sentence",
            )
        )
    if len(problems) > before:
        return None
    return TagDef(slug, label.strip(), group, tuple(str(a).strip() for a in aliases), description.strip(), line)
