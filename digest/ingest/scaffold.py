"""`digest init` and `digest new`: a site skeleton and a brief skeleton."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from digest.content.config import CONFIG_FILE, Config
from digest.core.layout import BRIEFS_DIR
from digest.core.model import Taxonomy, slugify
from digest.ingest.brieftext import scalar

SITE_CONFIG = """\
# digest site configuration; every key is optional.
title: My AI Policy Digest
description: Weekly briefings on AI policy.
base_url: https://example.org/
language: en
author: The digest team
per_page: 10
timezone: UTC
taxonomy: content/tags.yaml
search: true
"""

TAXONOMY = """\
groups:
  country: Countries and regions
  org: Organisations
  topic: Topics
tags:
  china: {label: China, group: country, aliases: [PRC, "People's Republic of China", Chinese]}
  united-states: {label: United States, group: country, aliases: [US, U.S., USA, American]}
  eu: {label: European Union, group: country, aliases: [EU]}
  export-controls: {label: Export controls, group: topic, description: "Limits on selling chips, tools and models abroad."}
  regulation: {label: Regulation, group: topic}
"""

EXAMPLE_BRIEF = """\
---
title: The EU AI Act enters into force
date: 2024-08-01
summary: >-
  The European Union's AI Act entered into force, starting the clock on obligations
  that apply in stages over the following three years.
key_points:
  - Prohibited practices apply from February 2025.
  - Rules for general-purpose AI models apply from *August 2025*.
tags: [eu, regulation]
source:
  name: European Commission
  url: https://commission.europa.eu/
  published: 2024-08-01
---
Write the body of the brief here, in Markdown.
"""


class ScaffoldError(Exception):
    """A usage problem (exit code 2)."""


def init_site(target: Path) -> list[Path]:
    """Create a new site in `target`; refuse to overwrite an existing one."""
    config_path = target / CONFIG_FILE
    if config_path.exists():
        raise ScaffoldError(f"{config_path} already exists; expected an empty or new folder")
    files = {
        config_path: SITE_CONFIG,
        target / "content" / "tags.yaml": TAXONOMY,
        target / BRIEFS_DIR / "eu-ai-act-enters-into-force.md": EXAMPLE_BRIEF,
        target / ".gitignore": "/site/\n/.site.*/\n.digest-cache/\n",  # (.site.*: a build's staging, for moments)
    }
    for path in files:
        if path.exists():
            raise ScaffoldError(f"{path} already exists; expected an empty or new folder")
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(files)


def new_brief(config: Config, taxonomy: Taxonomy, title: str, tags: list[str], today: dt.date | None = None) -> Path:
    """Write a draft brief skeleton with a free slug; return its path."""
    title = " ".join(title.split())
    if not title:
        raise ScaffoldError('the title is empty; expected e.g. digest new "EU AI Act enters into force"')
    base = slugify(title)
    if not base:
        raise ScaffoldError(f"the title {title!r} gives an empty slug; expected a title with letters or digits")
    folder = config.root / BRIEFS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    slug, n = base, 1
    while (folder / f"{slug}.md").exists():
        n += 1
        slug = f"{base}-{n}"
    resolved = []
    for name in tags:
        name = name.strip()
        if name:
            found = taxonomy.resolve(name) or slugify(name)
            if found and found not in resolved:
                resolved.append(found)
    day = today or dt.datetime.now(config.tz).date()
    quoted_tags = ", ".join(scalar(t, flow=True) for t in resolved)
    front = (
        f"title: {scalar(title)}\n"
        f"date: {day.isoformat()}\n"
        "summary: >-\n  One or two sentences that say what happened and why it matters.\n"
        "key_points:\n  - The first key point.\n"
        f"tags: [{quoted_tags}]\n"
        f"source:\n  name: Source name\n  url: https://example.org/article\n  published: {day.isoformat()}\n"
        "draft: true\n"
    )
    path = folder / f"{slug}.md"
    with path.open("x", encoding="utf-8") as handle:
        handle.write(f"---\n{front}---\nWrite the brief here.\n")
    return path
