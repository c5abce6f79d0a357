"""A small, seeded random site for incremental-build tests: briefs, taxonomy, config."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

TAGS = ["china", "united-states", "eu", "export-controls", "chips", "ai-act", "safety", "compute", "japan", "openai"]
WORDS = [
    "policy",
    "chips",
    "export",
    "rules",
    "model",
    "safety",
    "compute",
    "licence",
    "ministry",
    "draft",
    "review",
    "market",
    "data",
    "cloud",
]


def sentence(rng: random.Random, words: int = 8) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def brief_text(rng: random.Random, title: str, day: dt.date, *, draft: bool = False, link: str | None = None) -> str:
    tags = rng.sample(TAGS, rng.randint(1, 4)) + (["Unlisted Topic"] if rng.random() < 0.2 else [])
    points = "\n".join(f"  - {sentence(rng, 5)}" for _ in range(rng.randint(1, 4)))
    body = "\n\n".join(sentence(rng, 12) for _ in range(rng.randint(1, 3)))
    if link:
        body += f"\n\nSee [the other brief]({link}).\n"
    return (
        f"---\ntitle: {title}\ndate: {day.isoformat()}\nsummary: {sentence(rng)}\nkey_points:\n{points}\n"
        f"tags: [{', '.join(tags)}]\n" + ("draft: true\n" if draft else "") + f"---\n{body}\n"
    )


def make_site(root: Path, count: int, seed: int = 1) -> random.Random:
    rng = random.Random(seed)
    (root / "content" / "briefs").mkdir(parents=True)
    # (open_tags: briefs have tags outside the taxonomy, such as "Unlisted Topic")
    (root / "digest.yaml").write_text(
        "title: Test Digest\nbase_url: https://example.org/t/\nper_page: 3\nopen_tags: true\n"
    )
    tags = "\n".join(
        f"  {t}: {{label: {t.replace('-', ' ').title()}, group: {'country' if i < 3 else 'topic'}}}"
        for i, t in enumerate(TAGS)
    )
    (root / "content" / "tags.yaml").write_text(f"groups: {{country: Countries, topic: Topics}}\ntags:\n{tags}\n")
    start = dt.date(2025, 1, 1)
    for n in range(count):
        day = start + dt.timedelta(days=rng.randint(0, 120))
        (root / "content" / "briefs" / f"brief-{n}.md").write_text(brief_text(rng, f"Brief number {n}", day))
    return rng


def instrument_text(
    title: str,
    jurisdiction: str,
    events: list[tuple[dt.date, str, bool]],
    *,
    status: str = "in-force",
    kind: str = "regulation",
    related: tuple[str, ...] = (),
    more: str = "",
) -> str:
    """An instrument file (content/instruments/<slug>.md) with its events (date, what, milestone)."""
    lines = "\n".join(
        f"  - {{date: {day.isoformat()}, what: {what}" + (", milestone: true}" if milestone else "}")
        for day, what, milestone in events
    )
    return (
        f"---\ntitle: {title}\nkind: {kind}\njurisdiction: {jurisdiction}\nstatus: {status}\n"
        f"official: {{url: https://example.org/{len(title)}, language: en}}\nevents:\n{lines}\n"
        + (f"related: [{', '.join(related)}]\n" if related else "")
        + more
        + f"---\nWhat the {title} does, in a sentence.\n"
    )
