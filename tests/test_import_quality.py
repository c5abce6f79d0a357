"""What `digest import` makes of sources in the layouts analysts collect: the title and the
date from the document's structure (not its first line, a site banner or the file's time),
summaries and key points without boilerplate, tags by salience; and the figures on the real
documents of tests/fixtures/real (bench/import_eval.py) never get worse."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from typing import Any

import pytest

from digest.build.entry import open_config
from digest.content.frontmatter import split
from digest.content.taxonomy import load_taxonomy
from digest.ingest.importer import ImportContext, make_brief
from tests.conftest import REPO

DAY = dt.date(2000, 1, 1)


@pytest.fixture(scope="module")
def context() -> ImportContext:
    config = open_config(REPO)
    return ImportContext.create(config, load_taxonomy(REPO, config.taxonomy))


def made(context: ImportContext, text: str, name: str = "source.txt") -> dict[str, Any]:
    meta = split(make_brief(text.encode("utf-8"), name, name, context, DAY).text).meta.data
    assert isinstance(meta, dict)
    return meta


LEAD = (
    "The ministry published binding rules for public chatbots on Tuesday, giving providers six months "
    "to label generated text and to register every system with the national regulator."
)
BODY = (
    "Officials said the register would be public and searchable. Providers that miss the deadline face "
    "fines of up to two percent of turnover. The rules follow a consultation that drew more than four "
    "hundred responses from industry, universities and civil society groups across the country."
)


def test_a_weekday_date_in_the_text_dates_the_brief(context: ImportContext) -> None:
    meta = made(context, f"Ministry Sets Rules for Public Chatbots\nTuesday, October 17, 2023\n\n{LEAD}\n\n{BODY}\n")
    assert meta["date"] == "2023-10-17"
    assert meta["imported_from"]["date_from"] == "document"
    assert "date" not in meta["review"]


@pytest.mark.parametrize(
    "line", ["2023年10月17日", "17 October 2023", "2023-10-17", "Oct. 17, 2023", "Published: 17/10/2023"]
)
def test_common_written_dates(context: ImportContext, line: str) -> None:
    assert (
        made(context, f"Ministry Sets Rules for Public Chatbots\n{line}\n\n{LEAD}\n\n{BODY}\n")["date"] == "2023-10-17"
    )


def test_a_site_banner_date_is_not_the_articles_date(context: ImportContext) -> None:
    page = (
        "Monday, March 4, 2024\nHome\nNews\nTechnology\nSubscribe\n\n"
        f"Ministry Sets Rules for Public Chatbots\n\nOctober 17, 2023\n\n{LEAD}\n\n{BODY}\n"
    )
    meta = made(context, page)
    assert meta["title"] == "Ministry Sets Rules for Public Chatbots"
    assert meta["date"] == "2023-10-17"


RELEASE = (
    "MINISTRY OF DIGITAL AFFAIRS\nOffice of the Press Secretary\n\nFOR IMMEDIATE RELEASE\n"
    "Media Contact: Press Office, press@ministry.example.org, +1 555 0100\n\n"
    "MINISTRY SETS BINDING RULES FOR PUBLIC CHATBOTS\n\n"
    f"CAPITAL CITY, Oct. 17, 2023 — {LEAD}\n\n{BODY}\n\n"
    '"We want people to know when they talk to a machine," said Ana Smith, a spokesperson for the ministry.\n\n'
    "###\n"
)


def test_a_press_release_with_an_agency_banner(context: ImportContext) -> None:
    meta = made(context, RELEASE)
    assert meta["title"] == "Ministry Sets Binding Rules for Public Chatbots"
    assert meta["date"] == "2023-10-17"
    assert meta["summary"].startswith("The ministry published binding rules")
    for boilerplate in ("IMMEDIATE RELEASE", "Media Contact", "Press Secretary", "###"):
        assert boilerplate not in meta["summary"], boilerplate


@pytest.mark.parametrize(
    "first_lines",
    [
        "Policy Wire > Blog > Regulation > Ministry Sets Rules for Public Chatbots",
        "HomeIn-depthMinistry Sets Rules for Public Chatbots",
        "Date 2023-10-17 CAPITAL CITY : Ministry Sets Rules for Public Chatbots",
    ],
)
def test_breadcrumbs_glued_navigation_and_datelines_leave_the_title(context: ImportContext, first_lines: str) -> None:
    meta = made(context, f"{first_lines}\n\n{LEAD}\n\n{BODY}\n")
    assert meta["title"] == "Ministry Sets Rules for Public Chatbots"


def test_the_site_name_leaves_an_html_title(context: ImportContext) -> None:
    page = (
        "<html><head><title>Ministry Sets Rules for Public Chatbots – Policy Wire</title>"
        '<meta property="og:site_name" content="Policy Wire">'
        '<meta property="article:published_time" content="2023-10-17T09:00:00+02:00"></head>'
        f"<body><nav><a href='/'>Home</a></nav><article><p>{LEAD}</p><p>{BODY}</p></article></body></html>"
    )
    meta = made(context, page, "page.html")
    assert meta["title"] == "Ministry Sets Rules for Public Chatbots"
    assert meta["date"] == "2023-10-17"
    assert meta["imported_from"]["title_from"] == "page metadata"


def test_the_pages_headline_wins_over_a_section_banner(context: ImportContext) -> None:
    page = (
        "<html><head><title>Ministry Sets Rules for Public Chatbots | Policy Wire</title></head>"
        "<body><header><h1>Policy Wire</h1></header><article><h1>Ministry Sets Rules for Public Chatbots</h1>"
        f"<p>{LEAD}</p><p>{BODY}</p></article></body></html>"
    )
    meta = made(context, page, "page.html")
    assert meta["title"] == "Ministry Sets Rules for Public Chatbots"


def test_real_documents_never_regress() -> None:
    """The figures of bench/import_eval.py on tests/fixtures/real (docs/BENCHMARKS.md): none
    lower than measured when this test was last raised."""
    out = subprocess.run(
        [sys.executable, str(REPO / "bench" / "import_eval.py"), "--json", "--no-baseline"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    figures = json.loads(out)["figures"]
    assert figures["documents"] >= 60
    assert figures["crashes"] == 0 and figures["refusals"] == 0
    assert figures["titles_right"] >= 65
    assert figures["dates_right"] >= 60
    assert figures["points_verbatim"] >= 64
    assert figures["body_f1"] >= 0.9215


def test_press_release_key_points_are_not_boilerplate_contacts_or_quotes(context: ImportContext) -> None:
    meta = made(context, RELEASE)
    assert "key_points" in meta["review"]
    points = " ".join(meta["key_points"])
    for boilerplate in ("IMMEDIATE RELEASE", "Media Contact", "Press Secretary", "said Ana Smith", "###", "@"):
        assert boilerplate not in points, boilerplate


ARTICLE = (
    "Ministry Sets Rules for Public Chatbots\nOctober 17, 2023\n\n"
    "The ministry published binding rules for public chatbots on Tuesday.\n\n"
    "Under the rules, every public chatbot must be registered with the national regulator before launch. "
    "The regulator will publish the register of chatbots and audit each registered chatbot once a year. "
    "Weather in the capital was mild on Tuesday.\n\n"
    "Providers that fail an audit of their chatbot must withdraw it from the register within thirty days. "
    "A registered chatbot that is withdrawn cannot be relaunched until the regulator audits it again. "
    "The minister thanked the staff of the regulator for their work on the register.\n\n"
    '"This is a good day for everyone who uses public services," the minister said at a press conference.\n'
)


def test_generated_key_points_are_the_central_sentences_verbatim(context: ImportContext) -> None:
    meta = made(context, ARTICLE)
    points = meta["key_points"]
    assert all(point in ARTICLE for point in points), "kept verbatim"
    assert "Weather in the capital was mild on Tuesday." not in points
    assert not any("minister said" in point or point.startswith('"') for point in points)
    assert any("registered with the national regulator" in point for point in points)
    assert any("withdraw it from the register" in point for point in points)


def test_tags_by_salience_at_most_six_and_whole_words(context: ImportContext) -> None:
    story = (
        "Nvidia Ships New Chips to China\nOctober 17, 2023\n\n"
        "Nvidia began shipping a new data-centre chip to customers in China, its chief executive said.\n\n"
        "The chip was designed to stay within United States export rules. A meta-analysis of earlier "
        "chips by analysts found similar designs. Buyers in Japan, India and Brazil were also mentioned "
        "in one analyst note about the market, which TSMC supplies. Nvidia said demand in China was strong.\n"
    )
    meta = made(context, story)
    assert meta["tags"][:2] == ["nvidia", "china"]
    assert len(meta["tags"]) <= 6
    assert "meta" not in meta["tags"], "Meta is not in meta-analysis"
    for passing in ("japan", "india", "brazil", "tsmc"):
        assert passing not in meta["tags"], f"{passing} is mentioned once in passing"


def test_suggested_tags_are_names_not_words(context: ImportContext) -> None:
    from digest.ingest.autotag import scan_tags

    text = (
        "Shipments rose in Oct 2023 and fell in Nov 2023, with Phase 2 of the plan due in Oct 2024. "
        "Under Phase 2 the phase of testing ends. The Harbour Authority said the Harbour Authority would check it."
    )
    suggestions = scan_tags(context.matcher, [("body", text)]).suggestions
    assert "Oct" not in suggestions and "Phase" not in suggestions
    assert "Harbour Authority" in suggestions


def test_html_identifiers_and_text_around_inline_frames_and_svg(context: ImportContext) -> None:
    page = (
        "<html><head><title>Ministry Sets Rules for Public Chatbots</title></head><body><article>"
        "<h1>Ministry Sets Rules for Public Chatbots</h1>"
        "<p>Providers must set the flag label_generated_text and max_tokens_out in their configuration files.</p>"
        '<p>As <a href="https://example.org/a">Reuters reported</a>\non Monday, the rules cover every public chatbot.</p>'
        '<p>The consultation<iframe src="https://example.org/embed"></iframe>drew more than four hundred responses.</p>'
        '<p>The regulator will publish the list<svg viewBox="0 0 1 1"><path d="M0"/></svg>of registered systems.</p>'
        "</article></body></html>"
    )
    result = make_brief(page.encode("utf-8"), "page.html", "page.html", context, DAY)
    doc = split(result.text)
    assert "label_generated_text and max_tokens_out" in doc.meta.data["summary"]
    assert "[Reuters reported](https://example.org/a) on Monday" in doc.body
    assert "The consultation drew more" in doc.body
    assert "the list of registered systems" in doc.body


def test_a_space_inside_a_link_is_kept_beside_it(context: ImportContext) -> None:
    page = (
        "<html><head><title>Ministry Sets Rules for Public Chatbots</title></head><body><article>"
        "<h1>Ministry Sets Rules for Public Chatbots</h1><p>The ministry published binding rules on Tuesday.</p>"
        '<p>As <a href="https://example.org/a">Reuters reported </a>after the vote, the rules cover every'
        ' public chatbot<a href="https://example.org/b"> in the country</a>, and the register opens in 400&percnt; more offices.</p>'
        "</article></body></html>"
    )
    body = split(make_brief(page.encode("utf-8"), "page.html", "page.html", context, DAY).text).body
    assert "[Reuters reported](https://example.org/a) after the vote" in body
    assert "chatbot [in the country](https://example.org/b)," in body
    assert "400% more offices" in body


def test_a_glossary_is_never_a_key_point_and_a_release_line_keeps_its_date(context: ImportContext) -> None:
    text = (
        "FOR IMMEDIATE RELEASE | October 17, 2023 | Media Contact: Jane Roe, press@ministry.example.org\n\n"
        f"Ministry Sets Rules for Public Chatbots\n\n{LEAD}\n\n{BODY}\n\n"
        "Glossary\n\nChatbot: a program that converses.\n\nRegister: the public list.\n"
    )
    meta = made(context, text)
    assert meta["date"] == "2023-10-17"
    assert not any(p in ("Glossary", "Chatbot: a program that converses.") for p in meta["key_points"])
    assert not any("Register:" in p or "Media Contact" in p for p in meta["key_points"])
