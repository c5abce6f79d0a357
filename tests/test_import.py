"""`digest import`: scraped text, HTML pages and Markdown notes -> briefs; re-imports; the CLI."""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest.build.entry import build, open_config
from digest.cli import main
from digest.content.brief import parse_brief
from digest.content.frontmatter import split
from digest.content.taxonomy import load_taxonomy
from digest.core.errors import ContentError
from digest.ingest.autotag import scan_tags, tag_matcher
from digest.ingest.docdate import find_date, parse_date
from digest.ingest.importer import ImportContext, make_brief
from tests.conftest import FIXTURES, REPO, SHARED

SOURCES = FIXTURES / "sources"
SAMPLE = SHARED / "sources" / "000_3785b1df5a421838.txt"
DAY = dt.date(2025, 1, 6)


@pytest.fixture(scope="module")
def context() -> ImportContext:
    return _context()


def made(context: ImportContext, data: bytes, name: str) -> tuple[dict[str, Any], str]:
    """Front matter and body of the brief made from `data`, checked with the brief parser."""
    result = make_brief(data, name, name, context, DAY)
    parse_brief(result.text, name, result.slug, context.config, context.taxonomy)
    doc = split(result.text)
    return doc.meta.data, doc.body


def fixture(context: ImportContext, rel: str) -> tuple[dict[str, Any], str]:
    return made(context, (SOURCES / rel).read_bytes(), Path(rel).name)


def new_site(tmp_path: Path, *, with_sample_briefs: bool = False) -> Path:
    root = tmp_path / "site-root"
    (root / "content" / "briefs").mkdir(parents=True)
    shutil.copy(REPO / "digest.yaml", root / "digest.yaml")
    shutil.copy(REPO / "content" / "tags.yaml", root / "content" / "tags.yaml")
    if with_sample_briefs:
        for brief in (REPO / "content" / "briefs").glob("*.md"):
            shutil.copy(brief, root / "content" / "briefs" / brief.name)
        shutil.copytree(REPO / "content" / "instruments", root / "content" / "instruments")  # (the briefs name them)
    return root


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def briefs(root: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted((root / "content" / "briefs").rglob("*"))}


# --- the sample document -------------------------------------------------------------


@pytest.mark.skipif(not SAMPLE.is_file(), reason="the shared sample document is not beside the repository")
def test_sample_document_becomes_a_brief_on_the_china_tag_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    root = new_site(tmp_path, with_sample_briefs=True)
    code, out, _ = run(capsys, "import", str(SAMPLE), "--root", str(root))
    assert code == 0, out
    assert out.startswith("created ")
    path = root / "content" / "briefs" / "xi-jinping-pushes-for-ai-self-sufficiency.md"
    meta = split(path.read_text(encoding="utf-8")).meta.data
    assert meta["title"] == "Xi Jinping Pushes for AI Self-Sufficiency"
    assert meta["source"] == {"name": "Turtles AI"}
    assert meta["summary"] == lines[1]
    assert meta["key_points"] == [line[2:] for line in lines[3:7]]
    assert {"china", "united-states", "deepseek", "baidu", "huawei"} <= set(meta["tags"])
    assert meta["review"] == ["date", "tags"]
    assert meta["imported_from"]["date_from"] == "file modification time"
    build(open_config(root, drafts=True), root / "site")
    page = (root / "site" / "tags" / "china" / "index.html").read_text(encoding="utf-8")
    assert "Xi Jinping Pushes for AI Self-Sufficiency" in page


# --- scraped-text variants -----------------------------------------------------------

VARIANTS = {
    "key-points-no-colon.txt": ("Harbour City Opens a Public Register of Algorithms", "Civic Wire", 3),
    "key-takeaways.txt": ("Lowland Republic Tightens Rules on Chip Exports", "Trade Desk", 3),
    "tldr.txt": ("Northfield Fund Backs Regional Data Centres", "Northfield Ledger", 3),
    "summary-numbered.txt": ("Coastal Union Drafts Code for Chatbot Disclosures", "Union Today", 3),
    "highlights-dashes.txt": ("Mountain State Sets Up an AI Testing Lab", "Mountain Courier", 3),
    "run-together.txt": ("Valley Assembly Passes Deepfake Labelling Bill", "Valley Post", 3),
    "boilerplate.txt": ("Riverside Council Pauses Facial Recognition Pilot", "Riverside Herald", 3),
    "unicode.txt": ("Island Nation’s “Sandbox” Lets Start-ups Test Drones", "Island Times", 3),
    "wrapped.txt": ("Plains Province Publishes a Strategy for Public Compute", "Plains Daily", 2),
    "cut-off.txt": ("Delta Region Funds Training in Machine Learning", "Delta Voice", 2),
    "dated.txt": ("Southern Agency Issues Rules on Medical AI", "Southern Gazette", 2),
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_scraped_text_variants(context: ImportContext, name: str) -> None:
    title, site, count = VARIANTS[name]
    text = (SOURCES / "text" / name).read_text(encoding="utf-8")
    meta, body = fixture(context, f"text/{name}")
    assert meta["title"] == title
    assert meta["source"]["name"] == site
    lead = next(line for line in text.splitlines()[1:] if len(line.split()) > 8 and "|" not in line)
    assert meta["summary"].startswith(" ".join(lead.split()))
    assert len(meta["key_points"]) == count
    assert all(not re.match(r"[-*•–\d]", point) for point in meta["key_points"]), meta["key_points"]
    assert "key_points" not in meta.get("review", [])
    assert meta["key_points"][0] not in body and meta["summary"] not in body
    assert body.strip(), "the body paragraphs are kept"


def test_bullets_of_every_kind_lose_their_markers(context: ImportContext) -> None:
    assert fixture(context, "text/highlights-dashes.txt")[0]["key_points"] == [
        "The lab will test systems for accuracy and bias.",
        "Public bodies must submit systems costing more than a set amount.",
        "Results will be published in an annual report.",
    ]
    assert fixture(context, "text/run-together.txt")[0]["key_points"] == [
        "Labels must be visible for the whole advert.",
        "Fines reach a tenth of the campaign budget.",
        "The law applies from the next election cycle.",
    ]
    assert fixture(context, "text/summary-numbered.txt")[0]["key_points"][1] == (
        "Providers must keep logs of disclosures for one year."
    )


def test_boilerplate_lines_are_dropped(context: ImportContext) -> None:
    meta, body = fixture(context, "text/boilerplate.txt")
    text = json.dumps(meta) + body
    for gone in ("Skip to main content", "Share", "Subscribe", "cookies", "AI summarized"):
        assert gone not in text
    assert "The review panel includes two residents" in body


def test_windows_line_endings_bom_and_unicode_spaces_read_the_same(context: ImportContext) -> None:
    plain = (SOURCES / "text" / "unicode.txt").read_text(encoding="utf-8")
    messy = "\ufeff" + plain.replace("\n", "\r\n").replace("aviation authority", "aviation\u00a0authority")
    assert (
        fixture(context, "text/unicode.txt")[0]["key_points"] == made(context, messy.encode(), "u.txt")[0]["key_points"]
    )
    meta = made(context, messy.encode(), "u.txt")[0]
    assert meta["title"] == "Island Nation’s “Sandbox” Lets Start-ups Test Drones"
    assert "aviation authority" in meta["summary"]


def test_hard_wrapped_paragraphs_are_joined(context: ImportContext) -> None:
    meta, body = fixture(context, "text/wrapped.txt")
    assert meta["summary"].startswith(
        "The Plains Province published a strategy to give researchers access to shared computing"
    )
    assert "universities and companies in the province" in body


def test_a_title_with_one_pipe_is_not_split(context: ImportContext) -> None:
    meta, _ = fixture(context, "text/pipes-title.txt")
    assert meta["title"] == "Revenue | Q3 Results at the Gridworks Utility"
    assert "source" not in meta


def test_missing_title_line_takes_the_first_sentence(context: ImportContext) -> None:
    meta, _ = fixture(context, "text/no-title.txt")
    assert meta["title"] == (
        "The Eastern Ministry of Labour released guidance on the use of automated hiring tools by employers"
    )
    assert meta["key_points"] == [
        "Employers must tell applicants about automated screening.",
        "Applicants can ask for a human review.",
    ]


def test_text_cut_off_mid_sentence_is_kept(context: ImportContext) -> None:
    _, body = fixture(context, "text/cut-off.txt")
    assert body.rstrip().endswith("which will be held in")


def test_missing_key_points_are_generated_and_marked(context: ImportContext) -> None:
    meta, body = fixture(context, "text/no-key-points.txt")
    assert "key_points" in meta["review"]
    assert 3 <= len(meta["key_points"]) <= 5
    assert all(point in body for point in meta["key_points"]), "generated points are sentences of the body"


def test_a_publish_date_line_dates_the_brief(context: ImportContext) -> None:
    meta, body = fixture(context, "text/dated.txt")
    assert meta["date"] == "2026-01-13"
    assert meta["source"]["published"] == "2026-01-13"
    assert meta["imported_from"]["date_from"] == "document"
    assert "Publish Date" not in body


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("July 25, 2025", dt.date(2025, 7, 25)),
        ("2025-07-25", dt.date(2025, 7, 25)),
        ("Publish Date: 2026-01-13 08:06:00", dt.date(2026, 1, 13)),
        ("Thursday, 7 May 2026", dt.date(2026, 5, 7)),
        ("By Jane Roe | Sept. 3, 2024", dt.date(2024, 9, 3)),
        ("Published on 12th March 2025 at 10:00", dt.date(2025, 3, 12)),
    ],
)
def test_date_shapes(line: str, expected: dt.date) -> None:
    assert find_date(["Some Title", line, "A paragraph of prose follows here."]) == (expected, 1)


def test_dates_inside_sentences_are_not_publication_dates() -> None:
    assert find_date(["The rules apply from August 2, 2026, the ministry said in a statement on Friday."]) is None
    assert parse_date("2025-02-30") is None and parse_date("1066-10-14") is None


# --- tags ------------------------------------------------------------------------------


def test_tags_match_acronyms_case_sensitively_and_prefer_the_longest_name(context: ImportContext) -> None:
    matcher = tag_matcher(context.taxonomy)
    assert matcher.find("let us talk about eu rules") == []
    assert [slug for _, _, slug in matcher.find("The US and the EU met.")] == ["united-states", "eu"]
    assert [slug for _, _, slug in matcher.find("the US Bureau of Industry and Security said")] == ["bis"]
    assert [slug for _, _, slug in matcher.find("People’s Republic of China")] == ["china"]


def test_unknown_names_are_suggested_never_tagged(context: ImportContext) -> None:
    matcher = tag_matcher(context.taxonomy)
    scan = scan_tags(
        matcher,
        [
            ("title", "Zorblax Rules"),
            ("summary", "The Zorblax Agency met Nvidia."),
            ("body", "Later the Zorblax Agency wrote to Nvidia again. Nvidia said nothing."),
        ],
    )
    assert scan.tags == ("nvidia",)
    assert scan.suggestions == ("Zorblax Agency",)


# --- HTML and Markdown -----------------------------------------------------------------


def test_html_page_main_text_without_boilerplate(context: ImportContext) -> None:
    meta, body = fixture(context, "html/article.html")
    assert meta["title"] == "Lakeside Parliament Adopts Rules for Public-Sector Chatbots"
    assert meta["date"] == "2025-07-25" and meta["imported_from"]["date_from"] == "page metadata"
    assert meta["source"] == {
        "name": "Lakeside Observer",
        "url": "https://observer.example.org/2025/07/lakeside-chatbot-rules",
        "published": "2025-07-25",
    }
    assert meta["imported_from"]["author"] == "Mara Quell"
    assert meta["summary"].startswith("The Lakeside Parliament adopted rules")
    assert meta["key_points"] == [
        "Agencies must register each chatbot in a public list.",
        "Chatbots are tested for accuracy *before launch* and once a year.",
        "Residents can always ask to speak to a person.",
    ]
    assert "united-states" in meta["tags"], "named twice"
    assert "eu" not in meta["tags"], "named once, in passing"
    assert "## What happens next" in body
    assert "[committee report](https://parliament.example.org/report-17)" in body
    assert "**European Union**" in body
    assert "> Residents deserve to know" in body
    assert "1. Register the chatbot.\n2. Publish the test results." in body
    for boilerplate in ("Home", "SPONSORED", "Comments", "Great news", "Related stories", "All rights reserved"):
        assert boilerplate not in body, boilerplate


def test_html_never_carries_scripts_styles_frames_or_handlers(context: ImportContext) -> None:
    meta, body = fixture(context, "html/article.html")
    text = (json.dumps(meta) + body).lower()
    for bad in ("<script", "script>", "<style", "<iframe", "onclick", "onload", "javascript:", "alert(", "tracker"):
        assert bad not in text, bad
    assert "Click here to learn more and read the rest." in body


def test_markdown_notes(context: ImportContext) -> None:
    meta, body = fixture(context, "markdown/notes.md")
    assert meta["title"] == "Meeting notes: the Harbour City algorithm register"
    assert meta["key_points"] == [
        "Every agency lists its decision systems by June.",
        "The list is published as open data.",
    ]
    assert meta["summary"].startswith("Harbour City officials explained")
    assert "## Details" in body and "[city's open data portal](https://data.example.org/register)" in body
    assert "## Key points" not in body


def test_markdown_notes_without_key_points(context: ImportContext) -> None:
    meta, _ = fixture(context, "markdown/ideas.md")
    assert meta["title"] == "Ideas on compute policy in the Plains Province"
    assert "key_points" in meta["review"] and 3 <= len(meta["key_points"]) <= 5
    assert (
        meta["summary"]
        == "The Plains Province wants a shared computing cluster for researchers, funded for five years."
    )
    assert "compute" in meta["tags"]


def test_a_brief_is_not_a_source(context: ImportContext) -> None:
    data = (REPO / "content" / "briefs" / "deepseek-r1-release.md").read_bytes()
    with pytest.raises(ContentError, match=r"^brief\.md:1: the file has front matter"):
        make_brief(data, "brief.md", "brief.md", context, DAY)


# --- the command: reports, re-imports, exit codes ----------------------------------------


def test_reimport_unchanged_updated_skipped_and_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = new_site(tmp_path)
    source = root / "content" / "sources" / "story.txt"
    source.parent.mkdir()
    shutil.copy(SOURCES / "text" / "key-takeaways.txt", source)
    brief = root / "content" / "briefs" / "lowland-republic-tightens-rules-on-chip-exports.md"

    assert run(capsys, "import", str(source), "--root", str(root))[1].startswith(f"created {brief}")
    first = brief.read_text(encoding="utf-8")
    assert "file: content/sources/story.txt" in first

    os.utime(source, (0, 0))  # a checkout changes the mtime, not the date of the brief
    code, out, _ = run(capsys, "import", str(source), "--root", str(root))
    assert code == 0 and out.startswith(f"unchanged {brief}")

    source.write_text(source.read_text(encoding="utf-8") + "\nA new closing paragraph was added by the site.\n")
    code, out, _ = run(capsys, "import", str(source), "--root", str(root))
    assert code == 0 and out.startswith(f"updated {brief}")
    assert "A new closing paragraph" in brief.read_text(encoding="utf-8")

    edited = brief.read_text(encoding="utf-8").replace("Industry groups warned", "Industry groups loudly warned")
    brief.write_text(edited, encoding="utf-8")
    source.write_text(source.read_text(encoding="utf-8") + "\nAnother paragraph.\n")
    code, out, _ = run(capsys, "import", str(source), "--root", str(root))
    assert code == 0
    assert out.startswith(f"skipped {brief}: edited since import (use --force)")
    assert brief.read_text(encoding="utf-8") == edited

    code, out, _ = run(capsys, "import", str(source), "--root", str(root), "--force")
    assert code == 0 and out.startswith(f"updated {brief}") and "backup" in out
    assert "loudly" not in brief.read_text(encoding="utf-8")
    backups = list((root / ".digest-cache" / "import-backups").iterdir())
    assert len(backups) == 1 and backups[0].read_text(encoding="utf-8") == edited
    assert not backups[0].name.endswith(".md")
    assert list((root / "content" / "briefs").iterdir()) == [brief]
    assert run(capsys, "build", "--root", str(root), "--quiet")[0] == 0


def test_dry_run_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = new_site(tmp_path)
    before = briefs(root)
    code, out, _ = run(capsys, "import", str(SOURCES / "text"), "--root", str(root), "--dry-run")
    assert code == 0
    assert out.count("created ") == len(list((SOURCES / "text").glob("*.txt")))
    assert "dry run, nothing was written" in out
    assert briefs(root) == before
    assert not (root / ".digest-cache" / "import-backups").exists()


def test_failures_are_reported_after_every_input_was_tried(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = new_site(tmp_path)
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"Title line\n\xff\xfe not UTF-8 at all\n")
    good = SOURCES / "text" / "tldr.txt"
    code, out, err = run(capsys, "import", str(bad), str(tmp_path / "missing.txt"), str(good), "--root", str(root))
    assert code == 1
    assert f"skipped {bad}:2: invalid UTF-8 byte 0xff; expected the file saved as UTF-8" in err
    assert f"skipped {tmp_path / 'missing.txt'}: no such file or folder" in err
    assert (
        "created " in out and (root / "content" / "briefs" / "northfield-fund-backs-regional-data-centres.md").exists()
    )
    assert "3 sources: 1 created, 2 failed" in out


@pytest.mark.parametrize(
    "argv",
    [["import"], ["import", "x.txt", "--date", "25/07/2025"], ["import", "x.txt", "--root", "/no/such/dir"]],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, *argv)[0] == 2


def test_folders_globs_options_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = new_site(tmp_path)
    config = root / "digest.yaml"  # (a tag outside the taxonomy is refused unless the site allows them)
    config.write_text(config.read_text() + "open_tags: true\n")
    folder = tmp_path / "inbox"
    (folder / "nested" / ".hidden").mkdir(parents=True)
    shutil.copy(SOURCES / "text" / "tldr.txt", folder / "nested" / "a.txt")
    shutil.copy(SOURCES / "text" / "tldr.txt", folder / "nested" / ".hidden" / "b.txt")
    shutil.copy(SOURCES / "markdown" / "notes.md", folder / "notes.md")
    (folder / "picture.png").write_bytes(b"\x89PNG")
    code, out, _ = run(
        capsys,
        "import",
        str(folder),
        str(tmp_path / "inbox" / "*.md"),
        "--root",
        str(root),
        "--date",
        "2024-02-29",
        "--tags",
        "PRC,Brand New Topic",
        "--format",
        "json",
    )
    assert code == 0
    report = json.loads(out)
    assert report["counts"]["created"] == 2 and report["counts"]["failed"] == 0
    assert [Path(r["source"]).name for r in report["results"]] == ["notes.md", "a.txt"]
    for result in report["results"]:
        assert result["date"] == "2024-02-29" and result["date_from"] == "--date"
        assert result["tags"][:2] == ["china", "brand-new-topic"]
        assert result["line"].startswith(f"created {result['brief']} (from ")  # (what `digest serve`'s inbox says)


def test_slugs_never_collide(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = new_site(tmp_path)
    (root / "content" / "briefs" / "northfield-fund-backs-regional-data-centres.md").write_text(
        "---\ntitle: Hand written\ndate: 2025-01-01\nsummary: A brief a writer wrote.\nkey_points: [One.]\n---\n"
    )
    first, second = tmp_path / "one.txt", tmp_path / "two.txt"
    shutil.copy(SOURCES / "text" / "tldr.txt", first)
    shutil.copy(SOURCES / "text" / "tldr.txt", second)
    # (the same text twice is a duplicate: --force imports it anyway)
    assert run(capsys, "import", str(first), str(second), "--force", "--root", str(root))[0] == 0
    names = sorted(briefs(root))
    assert names == [
        "northfield-fund-backs-regional-data-centres-2.md",
        "northfield-fund-backs-regional-data-centres-3.md",
        "northfield-fund-backs-regional-data-centres.md",
    ]
    assert briefs(root)["northfield-fund-backs-regional-data-centres.md"].startswith("---\ntitle: Hand written")
    assert run(capsys, "build", "--root", str(root), "--quiet")[0] == 0


# --- nothing raises: any text, any HTML ----------------------------------------------------

_FRAGMENTS = st.sampled_from(
    [
        "Key points:",
        "Key Points",
        "TL;DR",
        "Summary:",
        "- ",
        "• ",
        "1. ",
        " | ",
        "\r\n",
        "\n\n",
        "\ufeff",
        "\u00a0",
        "“",
        "July 25, 2025",
        "Publish Date: 2026-01-13 08:06:00",
        "US",
        "China",
        "---",
        "# ",
        "<script>",
        "javascript:",
        ":",
        "'",
        '"',
        "Skip to main content",
        "The minister said the rules apply. ",
    ]
)
_TEXT = st.lists(st.one_of(_FRAGMENTS, st.text(max_size=40)), max_size=30).map("".join)
_TAGS = st.sampled_from(["p", "div", "h1", "h2", "ul", "li", "a", "em", "script", "style", "iframe", "article", "span"])
_ATTRS = st.sampled_from(
    ["", ' href="javascript:alert(1)"', ' onclick="x()"', ' href="https://e.org/a"', ' class="ad"']
)
_HTML_NODE = st.recursive(
    st.one_of(_FRAGMENTS, st.text(max_size=30)),
    lambda inner: st.tuples(_TAGS, _ATTRS, st.lists(inner, max_size=4)).map(
        lambda t: f"<{t[0]}{t[1]}>{''.join(t[2])}</{t[0]}>"
    ),
    max_leaves=25,
)
_HTML = st.tuples(st.text(max_size=30), st.lists(_HTML_NODE, max_size=6)).map(
    lambda t: f"<!DOCTYPE html><html><head><title>{t[0]}</title></head><body>{''.join(t[1])}</body></html>"
)


@functools.cache
def _context() -> ImportContext:
    config = open_config(REPO)
    return ImportContext.create(config, load_taxonomy(REPO, config.taxonomy))


def _check_any_input(data: bytes, name: str) -> None:
    context = _context()
    try:
        result = make_brief(data, name, name, context, DAY)
    except ContentError as exc:
        assert exc.problems and all(p.path == name and p.message for p in exc.problems)
        assert "internal error" not in str(exc)
        return
    brief = parse_brief(result.text, name, result.slug, context.config, context.taxonomy).brief
    for text in (brief.title, brief.summary, *brief.key_points, split(result.text).body):
        lowered = text.lower()
        assert "<script" not in lowered and "<iframe" not in lowered and "onclick=" not in lowered, text
        assert not re.search(r"javascript:\S", lowered), text


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_TEXT, kind=st.sampled_from(["a.txt", "a.md", "a"]))
def test_any_text_makes_a_valid_brief_or_a_clear_error(text: str, kind: str) -> None:
    _check_any_input(text.encode("utf-8", "surrogatepass"), kind)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(html=_HTML)
def test_any_html_makes_a_valid_brief_or_a_clear_error(html: str) -> None:
    _check_any_input(html.encode("utf-8", "surrogatepass"), "page.html")
