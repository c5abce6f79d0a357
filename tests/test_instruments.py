"""Policy instruments (issue 23): validated like briefs, their pages, the deadlines from the
build's date (`--today`), the calendars and the exports, through the `digest` command line."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import icalendar
import pytest

from digest.cli import main
from tests.conftest import FIXTURES, REPO, serve_folder, tree
from tests.sitegen import instrument_text

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

D = dt.date
CHIP_EVENTS = [
    (D(2022, 10, 7), "Published and takes effect", False),
    (D(2026, 3, 1), "Licence review ends", True),
    (D(2027, 1, 15), "Second phase applies", True),
]
GENAI_EVENTS = [
    (D(2023, 7, 10), "Published", False),
    (D(2023, 8, 15), "Enters into force", True),
    (D(2026, 6, 30), "First review due", True),
    (D(2026, 6, 30), "Reporting starts", True),
]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """The valid fixture site (countries: china, united-states) with two instruments, one brief about one."""
    target = tmp_path / "site-root"
    shutil.copytree(FIXTURES / "valid-site", target)
    folder = target / "content" / "instruments"
    folder.mkdir()
    (folder / "chip-rule.md").write_text(
        instrument_text("Advanced Computing Rule", "US", CHIP_EVENTS, kind="export-control-rule", related=("genai",))
    )
    (folder / "genai.md").write_text(instrument_text("Generative AI Measures", "china", GENAI_EVENTS))
    brief = target / "content" / "briefs" / "valid-brief.md"
    brief.write_text(brief.read_text().replace("key_points: [One]\n", "key_points: [One]\ntags: [US]\n"))
    add_instruments(target, "chip-rule")
    return target


def add_instruments(root: Path, *slugs: str) -> None:
    path = root / "content" / "briefs" / "valid-brief.md"
    lines = [line for line in path.read_text().split("\n") if not line.startswith("instruments:")]
    lines.insert(lines.index("key_points: [One]") + 1, f"instruments: [{', '.join(slugs)}]")
    path.write_text("\n".join(lines))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def build(capsys: pytest.CaptureFixture[str], root: Path, today: str, out: Path | None = None) -> Path:
    out = out or root / "site"
    code, _, err = run(capsys, "build", "--root", str(root), "--today", today, "--out", str(out))
    assert code == 0, err
    return out


def errors(err: str) -> list[str]:
    return [line for line in err.splitlines() if not line.startswith("digest: ") and ": warning: " not in line]


# --- validation -------------------------------------------------------------------------------


def test_an_unknown_instrument_on_a_brief_fails_with_the_closest_slug(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add_instruments(root, "genia")
    code, _, err = run(capsys, "build", "--root", str(root), "--today", "2026-01-10")
    assert code == 1
    assert errors(err) == [
        "content/briefs/valid-brief.md:6: instrument 'genia' is not in content/instruments/; did you mean 'genai'?"
    ]
    assert not (root / "site").exists()


@pytest.mark.parametrize(
    ("replace", "by", "expected"),
    [
        ("kind: regulation", "knd: regulation", ":3: unknown key 'knd'; expected a key of an instrument"),
        ("kind: regulation", "kind: regulaton", ":3: 'kind' is 'regulaton'; expected one of law, regulation,"),
        ("status: in-force", "status: inforce", "did you mean 'in-force'?"),
        (
            "jurisdiction: china",
            "jurisdiction: export-controls",
            ":4: 'jurisdiction' 'export-controls' is not in the 'country' group",
        ),
        (
            "jurisdiction: china",
            "jurisdiction: chna",
            ":4: 'jurisdiction': tag 'chna' is not in content/tags.yaml; did you mean 'china'?",
        ),
        ("date: 2023-07-10", "date: 2023-13-10", ":8: event 1 needs a 'date' as YYYY-MM-DD, got '2023-13-10'"),
        (
            "what: Published}",
            "wht: Published}",
            ":8: unknown key 'wht' in event 1; expected date, what or milestone; did you mean 'what'?",
        ),
        ("title: Generative AI Measures\n", "", ":2: missing 'title'"),
    ],
)
def test_a_mistake_in_an_instrument_is_reported_at_its_line(
    root: Path, capsys: pytest.CaptureFixture[str], replace: str, by: str, expected: str
) -> None:
    path = root / "content" / "instruments" / "genai.md"
    text = path.read_text()
    assert replace in text
    path.write_text(text.replace(replace, by, 1))
    code, _, err = run(capsys, "check", "--root", str(root), "--today", "2026-01-10")
    assert code == 1
    found = [line for line in errors(err) if line.startswith("content/instruments/genai.md")]
    assert any(expected in line for line in found), err


def test_a_related_instrument_that_does_not_exist_is_an_error(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = root / "content" / "instruments" / "chip-rule.md"
    path.write_text(path.read_text().replace("related: [genai]", "related: [gen-ai]"))
    code, _, err = run(capsys, "check", "--root", str(root), "--today", "2026-01-10")
    assert code == 1
    assert (
        "content/instruments/chip-rule.md:11: instrument 'gen-ai' is not in content/instruments/; did you mean 'genai'?"
        in err
    )


@pytest.mark.parametrize(
    ("status", "today", "expected"),
    [
        (
            "in-force",
            "2022-10-01",
            "status 'in-force' but no event before 2022-10-01 says it enters into force or applies",
        ),
        ("adopted", "2026-01-10", "status 'adopted' but its event 'Published and takes effect' on 2022-10-07 is past"),
        ("in-force", "2026-01-10", None),
        ("adopted", "2022-10-01", None),
    ],
)
def test_check_warns_when_the_status_contradicts_the_events(
    root: Path, capsys: pytest.CaptureFixture[str], status: str, today: str, expected: str | None
) -> None:
    path = root / "content" / "instruments" / "chip-rule.md"
    path.write_text(path.read_text().replace("status: in-force", f"status: {status}"))
    code, _, err = run(capsys, "check", "--root", str(root), "--today", today)
    assert code == 0
    warnings = [line for line in err.splitlines() if line.startswith("content/instruments/chip-rule.md")]
    if expected is None:
        assert warnings == []
    else:
        assert len(warnings) == 1 and warnings[0].startswith("content/instruments/chip-rule.md:5: warning: ")
        assert expected in warnings[0]
        code, _, _ = run(capsys, "check", "--root", str(root), "--today", today, "--strict")
        assert code == 1


@pytest.mark.parametrize("command", ["build", "check", "serve"])
def test_a_today_that_is_not_a_date_is_a_usage_error(
    root: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([command, "--root", str(root), "--today", "2026-02-30"])
    assert exit_.value.code == 2
    assert "--today: expected a date as YYYY-MM-DD, got '2026-02-30'" in capsys.readouterr().err
    assert not (root / "site").exists()


# --- pages ------------------------------------------------------------------------------------


def milestones(page: str) -> list[tuple[str, str]]:
    """(date, what) of each deadline listed on /deadlines/."""
    return re.findall(r'<li><time datetime="([\d-]+)">.*?</a> \([^)]*\): ([^<]+)</li>', page, re.S)


def test_deadlines_list_exactly_the_milestones_from_the_build_date(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = (build(capsys, root, "2026-01-10") / "deadlines" / "index.html").read_text()
    assert milestones(first) == [
        ("2026-03-01", "Licence review ends"),
        ("2026-06-30", "First review due"),
        ("2026-06-30", "Reporting starts"),
        ("2027-01-15", "Second phase applies"),
    ]
    assert "50 days to go" in first and "March 2026" in first
    later = (build(capsys, root, "2026-06-30") / "deadlines" / "index.html").read_text()
    assert milestones(later) == [
        ("2026-06-30", "First review due"),
        ("2026-06-30", "Reporting starts"),
        ("2027-01-15", "Second phase applies"),
    ]
    assert "today" in later and "199 days to go" in later


def test_instrument_pages_show_the_timeline_with_today_and_the_briefs_about_it(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = build(capsys, root, "2026-01-10")
    page = (site / "instruments" / "chip-rule" / "index.html").read_text()
    order = [page.index(s) for s in ("Published and takes effect", "Today: ", "Licence review ends", "Second phase")]
    assert order == sorted(order)
    assert 'href="/golden/briefs/valid-brief/">A valid brief</a>' in page
    assert 'href="/golden/instruments/genai/">Generative AI Measures</a>' in page
    assert 'href="https://example.org/23" hreflang="en"' in page
    table = (site / "instruments" / "index.html").read_text()
    assert table.count('<tr data-jurisdiction="') == 2
    assert '<tr data-jurisdiction="united-states" data-kind="export-control-rule" data-status="in-force">' in table
    brief = (site / "briefs" / "valid-brief" / "index.html").read_text()
    assert '<a href="/golden/instruments/chip-rule/">Advanced Computing Rule</a>' in brief
    assert 'href="/golden/instruments/"' in (site / "index.html").read_text()  # (the main menu)
    sitemap = (site / "sitemap.xml").read_text()
    for path in ("instruments/", "instruments/chip-rule/", "deadlines/"):
        assert f"<loc>https://digest.test/golden/{path}</loc>" in sitemap


def test_a_country_tag_page_shows_its_instruments_and_their_next_milestone(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    brief = root / "content" / "briefs" / "valid-brief.md"
    brief.write_text(brief.read_text().replace("tags: [US]", "tags: [US, china]"))
    page = (build(capsys, root, "2026-01-10") / "tags" / "china" / "index.html").read_text()
    assert '<a href="/golden/instruments/genai/">Generative AI Measures</a>' in page
    assert 'next: <time datetime="2026-06-30">30 June 2026</time>, First review due' in page
    assert "Advanced Computing Rule" not in page


def test_every_link_of_the_new_pages_works_under_the_sub_path(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = build(capsys, root, "2026-01-10")
    files = tree(site)
    pages = [p for p in files if p.startswith(("instruments/", "deadlines/")) and p.endswith(".html")]
    assert len(pages) == 4
    for name in pages:
        for href in re.findall(r'(?:href|src)="(/[^"#?]*)"', files[name].decode()):
            assert href.startswith("/golden/"), f"{name}: {href}"
            target = href.removeprefix("/golden/")
            assert target in files or f"{target}index.html" in files, f"{name}: {href} is not in the site"


def test_a_site_without_instruments_has_none_of_their_pages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = shutil.copytree(FIXTURES / "valid-site", tmp_path / "plain")
    site = build(capsys, root, "2026-01-10")
    assert not [p for p in tree(site) if "instrument" in p or "calendar" in p or "deadlines" in p]
    assert "/instruments/" not in (site / "index.html").read_text()


# --- calendars and exports --------------------------------------------------------------------


def events_of(data: bytes) -> list[icalendar.Event]:
    return list(icalendar.Calendar.from_ical(data).walk("VEVENT"))


def test_the_calendars_have_every_event_all_day_with_stable_uids(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = build(capsys, root, "2026-01-10")
    events = events_of((site / "calendar.ics").read_bytes())
    assert len(events) == len(CHIP_EVENTS) + len(GENAI_EVENTS)
    by_summary = {str(e["SUMMARY"]): e for e in events}
    event = by_summary["Advanced Computing Rule: Licence review ends"]
    assert event.decoded("DTSTART") == D(2026, 3, 1) and not isinstance(event.decoded("DTSTART"), dt.datetime)
    assert event.decoded("DTEND") == D(2026, 3, 2)
    assert str(event["URL"]) == "https://digest.test/golden/instruments/chip-rule/"
    uids = sorted(str(e["UID"]) for e in events)
    assert len(set(uids)) == len(uids)  # (two events of genai on one day)
    own = events_of((site / "instruments" / "genai" / "calendar.ics").read_bytes())
    assert sorted(str(e["SUMMARY"]) for e in own) == sorted(f"Generative AI Measures: {w}" for _, w, _ in GENAI_EVENTS)
    # Another machine, another folder, another day: the same events under the same UIDs.
    elsewhere = shutil.copytree(root, tmp_path / "elsewhere", ignore=shutil.ignore_patterns("site", ".digest-cache"))
    again = events_of((build(capsys, elsewhere, "2026-07-01") / "calendar.ics").read_bytes())
    assert sorted(str(e["UID"]) for e in again) == uids


def test_the_csv_and_json_exports_have_a_row_per_instrument(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = build(capsys, root, "2026-01-10")
    rows = list(csv.DictReader(io.StringIO((site / "instruments.csv").read_text(encoding="utf-8"), newline="")))
    document = json.loads((site / "instruments.json").read_text(encoding="utf-8"))
    assert [r["id"] for r in rows] == [i["id"] for i in document["instruments"]] == ["chip-rule", "genai"]
    chip = rows[0]
    assert chip["jurisdiction"] == "united-states" and chip["kind"] == "export-control-rule"
    assert (chip["first_event_date"], chip["last_event_date"], chip["next_milestone_date"]) == (
        "2022-10-07",
        "2022-10-07",
        "2026-03-01",
    )
    assert chip["briefs"] == "https://digest.test/golden/briefs/valid-brief/"
    assert document["instruments"][0]["briefs"] == ["https://digest.test/golden/briefs/valid-brief/"]
    assert document["instruments"][1]["next_milestone"] == "First review due"


def test_two_builds_of_the_same_content_and_date_are_byte_identical(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = tree(build(capsys, root, "2026-01-10"))
    other = shutil.copytree(root, tmp_path / "other", ignore=shutil.ignore_patterns("site", ".digest-cache"))
    assert tree(build(capsys, other, "2026-01-10")) == first


def test_a_new_day_rewrites_only_the_pages_that_show_the_date(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = build(capsys, root, "2026-01-10")
    before = tree(site)
    build(capsys, root, "2026-01-11")  # (no event between the two days)
    changed = {p for p, data in tree(site).items() if before.get(p) != data}
    assert changed == {"deadlines/index.html", "instruments/chip-rule/index.html", "instruments/genai/index.html"}
    before = tree(site)
    build(capsys, root, "2026-03-02")  # (a milestone is past: the table, the exports and the tag pages follow)
    changed = {p for p, data in tree(site).items() if before.get(p) != data}
    assert changed == {
        "deadlines/index.html",
        "instruments/chip-rule/index.html",
        "instruments/genai/index.html",
        "instruments/index.html",
        "instruments.csv",
        "instruments.json",
        "tags/united-states/index.html",
    }


# --- the table in a browser -------------------------------------------------------------------


def visible_rows(tab: Page) -> list[dict[str, str]]:
    return tab.eval_on_selector_all(
        "#instruments-table tbody tr",
        "rows => rows.filter(r => r.offsetParent !== null).map(r => ({...r.dataset, title: r.cells[0].textContent.trim()}))",
    )


def test_the_instruments_table_filters_and_sorts_in_chromium(browser: Browser, sample_site: Path) -> None:
    with serve_folder(sample_site) as origin:
        tab = browser.new_page()
        try:
            tab.goto(origin + "/instruments/")
            every = visible_rows(tab)
            assert len(every) == len(list((REPO / "content" / "instruments").glob("*.md")))
            assert tab.inner_text("#filter-count") == f"{len(every)} of {len(every)} instruments shown"
            tab.select_option("#filter-jurisdiction", "china")
            china = visible_rows(tab)
            assert china and {r["jurisdiction"] for r in china} == {"china"}
            assert len(china) == sum(1 for r in every if r["jurisdiction"] == "china")
            tab.select_option("#filter-jurisdiction", "united-states")
            tab.select_option("#filter-kind", "export-control-rule")
            tab.select_option("#filter-status", "in-force")
            rules = visible_rows(tab)
            assert rules == [
                r for r in every
                if (r["jurisdiction"], r["kind"], r["status"]) == ("united-states", "export-control-rule", "in-force")
            ]  # fmt: skip
            assert tab.inner_text("#filter-count") == f"{len(rules)} of {len(every)} instruments shown"
            for select in ("#filter-jurisdiction", "#filter-kind", "#filter-status"):
                tab.select_option(select, "")
            tab.click("#instruments-table thead th:first-child button")
            titles = [r["title"] for r in visible_rows(tab)]
            assert titles == sorted(titles, key=str.lower)
            assert tab.get_attribute("#instruments-table thead th:first-child", "aria-sort") == "ascending"
            tab.click("#instruments-table thead th:first-child button")
            assert [r["title"] for r in visible_rows(tab)] == titles[::-1]
        finally:
            tab.close()


def test_the_instruments_table_is_a_plain_table_without_javascript(browser: Browser, sample_site: Path) -> None:
    with serve_folder(sample_site) as origin:
        context = browser.new_context(java_script_enabled=False)
        try:
            tab = context.new_page()
            tab.goto(origin + "/instruments/")
            assert len(visible_rows(tab)) == len(list((REPO / "content" / "instruments").glob("*.md")))
            assert not tab.is_visible("#instrument-filters")  # (filters that could not work are not shown)
            assert tab.locator("#instruments-table thead button").count() == 0
        finally:
            context.close()
