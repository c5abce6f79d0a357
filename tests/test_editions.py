"""Weekly editions read as issues: numbered, titled, dated as a range, led and sectioned, with
the editor's note from `content/editions/<YYYY>-W<WW>.md`, checked as strictly as a brief."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pytest

from digest.cli import main
from tests.conftest import FIXTURES

BRIEF = """---
title: {title}
date: {date}
summary: Summary of {title}.
key_points: [One point]
tags: [{tags}]
---
Body.
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """The valid fixture site (valid-brief is dated 2025-01-01, week 2025-W01) and four briefs
    of 2025-W05 (27 January - 2 February 2025)."""
    target = tmp_path / "site-root"
    shutil.copytree(FIXTURES / "valid-site", target)
    for slug, date, tags in [
        ("chips-rule", "2025-01-27", "export-controls, united-states"),
        ("beijing-answer", "2025-01-28", "china"),
        ("more-rules", "2025-01-29", "export-controls"),
        ("late-story", "2025-02-02", "united-states"),
    ]:
        title = slug.replace("-", " ").capitalize()
        (target / "content" / "briefs" / f"{slug}.md").write_text(BRIEF.format(title=title, date=date, tags=tags))
    return target


def edition(root: Path, name: str, text: str) -> None:
    folder = root / "content" / "editions"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def problems(err: str) -> list[str]:
    return [line for line in err.splitlines() if not line.startswith("digest: ")]


def text_of(page: Path) -> str:
    """The page's main text, tags dropped and whitespace collapsed."""
    source = page.read_text()
    main_part = source[source.index("<main") : source.index("</main>")]
    inline = re.sub(r"</?(?:strong|em|code|sup)>", "", main_part)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", inline)).split())


def test_an_edition_is_numbered_titled_dated_led_and_sectioned(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edition(
        root,
        "2025-W05.md",
        "---\ntitle: Chips and answers\ntop: more-rules\n---\nA week of **rules**. Beijing answered in kind.\n",
    )
    code, _, err = run(capsys, "build", "--root", str(root), "--quiet")
    assert code == 0, err
    text = text_of(root / "site" / "weeks" / "2025-W05" / "index.html")
    assert "No. 2" in text
    assert "Chips and answers" in text
    assert "27 January – 2 February 2025" in text
    assert "Editor’s note A week of rules. Beijing answered in kind." in text
    lead = text.index("Lead story More rules")
    topics = text.index("Export controls Chips rule")  # the topic group's section (the default group_by)
    other = text.index("Also this week Beijing answer")
    assert lead < topics < other
    first = text_of(root / "site" / "weeks" / "2025-W01" / "index.html")
    assert "No. 1" in first and "A valid brief" in first  # untitled: the lead story's title
    assert "30 December 2024 – 5 January 2025" in first
    brief_page = text_of(root / "site" / "briefs" / "chips-rule" / "index.html")
    assert "In No. 2 · 27 January – 2 February 2025" in brief_page
    index = text_of(root / "site" / "weeks" / "index.html")
    assert index.index("No. 2 Chips and answers") < index.index("No. 1 A valid brief")
    for title in ("More rules", "Chips rule", "Beijing answer", "Late story"):
        assert title in index[index.index("No. 2") : index.index("No. 1")]


def test_an_edition_is_grouped_by_the_configured_group(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = root / "digest.yaml"
    config.write_text(config.read_text() + "editions: {group_by: country}\n")
    code, _, err = run(capsys, "build", "--root", str(root), "--quiet")
    assert code == 0, err
    text = text_of(root / "site" / "weeks" / "2025-W05" / "index.html")
    assert "Lead story Chips rule" in text  # no `top:`: the first brief of the week
    assert text.index("China Beijing answer") < text.index("United States Late story")  # (as many: by label)
    assert "Also this week More rules" in text


def test_a_date_range_within_one_month_names_the_month_once(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (root / "content" / "briefs" / "january.md").write_text(
        BRIEF.format(title="January", date="2025-01-21", tags="china")
    )
    code, _, err = run(capsys, "build", "--root", str(root), "--quiet")
    assert code == 0, err
    assert "20–26 January 2025" in text_of(root / "site" / "weeks" / "2025-W04" / "index.html")


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "2025-W05.md",
            "---\ntitle: Fine\ntpo: more-rules\n---\nNote.\n",
            "content/editions/2025-W05.md:3: unknown key 'tpo'; did you mean 'top'?",
        ),
        (
            "2025-W05.md",
            "---\ntitle: Fine\ntop: more-rule\n---\nNote.\n",
            "content/editions/2025-W05.md:3: 'top' names no brief: 'more-rule'; expected the slug of a brief of "
            "2025-W05; did you mean 'more-rules'?",
        ),
        (
            "2025-W05.md",
            "---\ntitle: [a, b]\n---\nNote.\n",
            "content/editions/2025-W05.md:2: 'title' must be a non-empty string; expected e.g. `title: ...`",
        ),
        (
            "2025-W05.md",
            "---\ntitle: Broken: yes: no\n---\n",
            "content/editions/2025-W05.md:2:",
        ),
        (
            "2025-5.md",
            "---\ntitle: Fine\n---\n",
            "content/editions/2025-5.md:1: file name '2025-5.md' is not an ISO week; expected e.g. 2025-W04.md "
            "(year, W, week 01-53)",
        ),
        (
            "2025-W05.md",
            "Just a note, no front matter.\n",
            "content/editions/2025-W05.md:1: no front matter; expected the file to start with a '---' line "
            "(did you forget the leading '---'?)",
        ),
    ],
)
def test_a_broken_edition_file_is_an_error_with_its_line(
    root: Path, capsys: pytest.CaptureFixture[str], name: str, text: str, message: str
) -> None:
    edition(root, name, text)
    for command in ("build", "check"):
        code, _, err = run(capsys, command, "--root", str(root))
        assert code == 1, err
        found = problems(err)
        assert len(found) == 1 and found[0].startswith(message), found
    assert not (root / "site").exists()


def test_edition_warnings_fail_check_strict(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edition(root, "2025-W10.md", "---\ntitle: Nothing this week\n---\n")
    edition(root, "2025-W05.md", "---\ntop: valid-brief\n---\n")
    code, _, err = run(capsys, "check", "--root", str(root))
    assert code == 0, err
    code, _, err = run(capsys, "check", "--strict", "--root", str(root))
    assert code == 1
    assert problems(err) == [
        "content/editions/2025-W05.md:2: warning: 'top' names valid-brief, a brief of 2025-W01; expected a brief "
        "of 2025-W05 (the edition leads with 'chips-rule')",
        "content/editions/2025-W10.md:1: warning: no published brief is dated in 2025-W10; expected an edition "
        "file for a week with briefs",
    ]


def test_a_misconfigured_group_is_a_config_error(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = root / "digest.yaml"
    config.write_text(config.read_text() + "editions: {group_by: topics}\n")
    code, _, err = run(capsys, "check", "--root", str(root))
    assert code == 1
    assert problems(err) == [
        "digest.yaml:5: 'editions.group_by' must be a group of content/tags.yaml, got 'topics'; expected one of: "
        "country, topic; did you mean 'topic'?"
    ]


def test_an_edition_file_linked_from_outside_the_site_is_refused(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text("---\ntitle: Secret\n---\nPrivate words.\n")
    (root / "content" / "editions").mkdir()
    (root / "content" / "editions" / "2025-W05.md").symlink_to(secret)
    code, _, err = run(capsys, "build", "--root", str(root))
    assert code == 1
    assert problems(err)[0].startswith("content/editions/2025-W05.md: ")
    assert not (root / "site").exists()
