"""No code from content: Jinja syntax, raw HTML, scripts, event handlers, `javascript:`/`data:`
URLs and SVG payloads in briefs, the taxonomy and imported documents never reach the built site
as active content, on any page type, in the feeds, the sitemap or the search index.

Every output file is parsed (html.parser for pages, lxml for XML, json for JSON) rather than
searched for substrings. What the theme itself puts in pages (its own scripts, icons,
stylesheets) is learnt from a build of the same site without the hostile content.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import re
import shutil
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from lxml import etree

from digest.cli import main
from tests.conftest import FIXTURES, serve_folder

if TYPE_CHECKING:
    from playwright.sync_api import Browser

JINJA = "{{ 7*7 }} {% raw %}raw{% endraw %} {{ 'jinja' ~ '-evaluated' }}"
EVALUATED = ("jinja-evaluated", "TemplateReference", "<jinja2.")  # what evaluated Jinja would leave

TAXONOMY = """groups:
  country: Countries
  topic: "<svg onload=alert('group')><script>alert('group')</script></svg>"
tags:
  china: {label: China, group: country}
  xss:
    label: "<img src=x onerror=alert('tag')>"
    group: topic
    aliases: ["<script>alert('alias')</script>"]
    description: "<a href='javascript:alert(1)'>desc</a> {{ 7*7 }}"
"""

TITLE = "<script>alert('title')</script> " + JINJA
HOSTILE_BRIEF = f"""---
title: "{TITLE}"
date: 2025-01-05
summary: "\\"><script>alert('summary')</script><img src=x onerror=alert(1)> {JINJA}"
key_points:
  - "[a js link](javascript:alert('kp')) and [a data link](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)"
  - "<svg onload=alert('kp')><script>alert('kp')</script></svg> ![img](javascript:alert(1))"
  - "<a href=\\"javascript:alert(1)\\" onclick=\\"alert(2)\\">raw anchor</a> {JINJA}"
tags:
  - "<img src=x onerror=alert('tag')>"
  - "<script>alert('alias')</script>"
  - "<b onmouseover=alert('newtag')>not in the taxonomy</b>"
  - china
source:
  name: "<script>alert('source')</script> {JINJA}"
  url: "https://example.org/a?q=\\"><script>alert('url')</script>"
x_extra: "<script>alert('extra')</script> {JINJA}"
---
{JINJA}

<script>alert('body')</script>

<iframe src="javascript:alert(1)"></iframe>

<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>

Inline <img src=x onerror=alert(1)> and <a href="javascript:alert(1)">an anchor</a> and <style>body{{display:none}}</style>.

[plain](javascript:alert(1)) [mixed case](JaVaScRiPt:alert(1)) [tab](java\tscript:alert(1))
[data](data:text/html,<script>alert(1)</script>) [vb](vbscript:msgbox(1)) <javascript:alert(1)>
![svg image](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+) ![js image](javascript:alert(1))

[ref link][r]

[r]: javascript:alert('ref')

A footnote.[^n]

`<script>alert('code')</script>` and

```html
<script>alert('fenced')</script>
```

[^n]: <img src=x onerror=alert('footnote')> {JINJA}
"""

BENIGN_BRIEF = """---
title: A benign brief
date: 2025-01-02
updated: 2025-01-04
summary: A plain summary.
key_points:
  - "A plain point with a [link](https://example.org/)."
tags: [china, export-controls, a new tag]
source: {name: Harbor Tech Review, url: "https://example.org/a", published: 2025-01-01}
---
A body with a [link](https://example.org/), an image ![alt](https://example.org/i.png) and a footnote.[^n]

[^n]: The note.
"""

HOSTILE_HTML = """<!doctype html>
<html><head>
<title>Evil {{ 7*7 }} page</title>
<meta property="og:site_name" content="Evil &lt;script&gt;alert(1)&lt;/script&gt; News">
<link rel="canonical" href="javascript:alert('canonical')">
</head><body>
<nav><a href="/">Home</a></nav>
<article>
<h1>Evil {{ 7*7 }} <script>alert('h1')</script> Export Controls Page</h1>
<p>The trade ministry said on Monday that export controls on chips will widen, {{ 7*7 }} and {% raw %} included, in a statement.</p>
<p>Officials <img src=x onerror="alert('img')"> described <a href="javascript:alert('a')">the new rules</a> and
<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">a data link</a> to reporters in Tokyo.</p>
<script>alert('script')</script>
<svg onload="alert('svg')"><script>alert('svg script')</script></svg>
<iframe src="javascript:alert('iframe')"></iframe>
<p onclick="alert('p')">Industry groups asked for guidance on servicing tools already installed in China and the United States.</p>
<p>The rules take effect after a sixty-day notice period, the ministry said, and apply to six categories of tools.</p>
</article>
</body></html>
"""

HOSTILE_TEXT = """Jinja {{ 7*7 }} Rules <script>alert('t')</script> | Home | News | Evil <b>Review</b>
The lead says {{ 7*7 }} and <script>alert('lead')</script> in one sentence about chips and China.
Key points:
- A point with <img src=x onerror=alert('kp')> in it.
- A point with [a link](javascript:alert('kp')) in it.
- A point with <svg onload=alert('kp')></svg> and {% raw %} in it.
Body paragraph with {% raw %} and <svg onload=alert('body')> and <a href="data:text/html,<script>alert(1)</script>">x</a>.
"""

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "background", "cite", "data"}
# Elements that are active, or that content could use to restyle or redirect a page. The theme
# may have its own (a stylesheet link, an icon); content may add none.
GUARDED = {"script", "iframe", "frame", "object", "embed", "svg", "math", "style", "base", "form", "link", "meta"}
ATOM = "http://www.w3.org/2005/Atom"
# Markup in text that is stored for a script to show as HTML (the search index): any tag.
RAW_TAG = re.compile(r"<\s*/?\s*(script|svg|iframe|img|a|style|object|embed|math|form|base|meta|link|body)\b", re.I)
PAYLOAD = re.compile(r"<\s*(script|svg|iframe|img|a\s)|\bon[a-z]+\s*=|javascript:", re.IGNORECASE)


class Page(HTMLParser):
    """The elements, script bodies and text of one HTML document."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, tuple[tuple[str, str | None], ...]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.texts: list[str] = []
        self._script: tuple[dict[str, str | None], list[str]] | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, tuple(attrs)))
        if tag == "script":
            self._script = (dict(attrs), [])

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, tuple(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script[0], "".join(self._script[1])))
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script[1].append(data)
        else:
            self.texts.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.texts).split())


BAD_SCHEMES = ("javascript", "vbscript", "data")
_DESCRIBING = {"rel", "type", "http-equiv", "name", "property", "charset", "src", "media", "as"}


def _shape(tag: str, attrs: tuple[tuple[str, str | None], ...]) -> tuple[str, tuple[tuple[str, str | None], ...]]:
    """A guarded element as compared with the theme's: exact, except that <meta> and <link> may
    carry the page's own text and address (content=, a canonical or feed href=)."""
    if tag not in ("meta", "link"):
        return tag, attrs
    keep = set(_DESCRIBING)
    if tag == "link" and dict(attrs).get("rel") not in ("canonical", "alternate", "prev", "next"):
        keep.add("href")  # a stylesheet, icon or preload must be the theme's own
    return tag, tuple(sorted((k, v if k in keep else "*") for k, v in attrs))


def _scheme(value: str) -> str:
    cleaned = "".join(ch for ch in value if ch > " " and ch != "\x7f").lower()
    return cleaned.split(":", 1)[0] if ":" in cleaned.split("/", 1)[0] else ""


class Theme:
    """What the theme's own pages contain: guarded elements, script sources, data: URLs."""

    def __init__(self, site: Path) -> None:
        self.elements: set[tuple[str, tuple[tuple[str, str | None], ...]]] = set()
        self.urls: set[str] = set()
        for path in site.rglob("*.html"):
            page = Page(path.read_text(encoding="utf-8"))
            for tag, attrs in page.elements:
                if tag in GUARDED:
                    self.elements.add(_shape(tag, attrs))
                self.urls.update(v for k, v in attrs if k in URL_ATTRIBUTES and v)

    def active_content(self, html: str, where: str) -> list[str]:
        """Everything in `html` that could run, load or redirect and that the theme did not put there."""
        page = Page(html)
        found = []
        for tag, attrs in page.elements:
            if tag in GUARDED and _shape(tag, attrs) not in self.elements:
                found.append(f"{where}: <{tag} {dict(attrs)}>")
            for name, value in attrs:
                if name.startswith("on"):
                    found.append(f"{where}: <{tag}> has event handler {name}={value!r}")
                if name in URL_ATTRIBUTES and value and _scheme(value) in BAD_SCHEMES and value not in self.urls:
                    found.append(f"{where}: <{tag}> {name}={value!r}")
                if name == "style" and value and re.search(r"url\(|expression\(|javascript:", value, re.IGNORECASE):
                    found.append(f"{where}: <{tag}> style={value!r}")
        for attrs, body in page.scripts:
            if attrs.get("src"):
                continue  # a theme script (checked with the guarded elements above)
            if attrs.get("type") not in ("application/ld+json", "application/json"):  # (data blocks never run)
                found.append(f"{where}: inline script {body[:60]!r}")
                continue
            try:
                json.loads(body)
            except ValueError:
                found.append(f"{where}: JSON-LD that is not JSON (content broke out of it?): {body[:60]!r}")
            if "</" in body:
                found.append(f"{where}: JSON-LD with an unescaped '</'")
        return found


def _import(root: Path) -> list[Path]:
    """Import the hostile HTML page and scraped text into content/briefs; the created briefs."""
    sources = root / "content" / "sources"
    sources.mkdir()
    (sources / "evil.html").write_text(HOSTILE_HTML, encoding="utf-8")
    (sources / "evil.txt").write_text(HOSTILE_TEXT, encoding="utf-8")
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as monkeypatch, contextlib.redirect_stdout(out):
        monkeypatch.chdir(root)
        code = main(["import", "--root", ".", "--date", "2025-01-03", "content/sources"])
    assert code == 0, out.getvalue()
    created = [root / line.split()[1] for line in out.getvalue().splitlines() if line.startswith("created ")]
    assert len(created) == 2, out.getvalue()
    return created


def _open_site(root: Path) -> None:
    """Tags outside the taxonomy allowed, and `x_extra` a field of the site: so the payloads in
    them reach the pages (and the templates, as `brief.fields.x_extra`)."""
    config = root / "digest.yaml"
    config.write_text(config.read_text() + "open_tags: true\nfields: {x_extra: string}\n")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Theme, list[str]]:
    """The hostile site built; the theme learnt from the same site without hostile content;
    the text of the briefs imported from hostile documents."""
    base = tmp_path_factory.mktemp("hostile")
    plain = base / "plain"
    shutil.copytree(FIXTURES / "valid-site", plain)
    _open_site(plain)
    (plain / "content" / "briefs" / "benign.md").write_text(BENIGN_BRIEF, encoding="utf-8")
    assert main(["build", "--root", str(plain), "--quiet"]) == 0
    theme = Theme(plain / "site")

    root = base / "root"
    shutil.copytree(FIXTURES / "valid-site", root)
    _open_site(root)
    (root / "content" / "tags.yaml").write_text(TAXONOMY, encoding="utf-8")
    (root / "content" / "briefs" / "hostile.md").write_text(HOSTILE_BRIEF, encoding="utf-8")
    imported = [path.read_text(encoding="utf-8") for path in _import(root)]
    assert main(["build", "--root", str(root), "--quiet"]) == 0
    return root / "site", theme, imported


def _html_files(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


PAGE_TYPES = [
    "index.html",
    "briefs/hostile/index.html",
    "tags/index.html",
    "tags/xss/index.html",
    "tags/b-onmouseover-alert-newtag-not-in-the-taxonomy-b/index.html",
    "tags/china/index.html",
    "weeks/index.html",
    "weeks/2025-W01/index.html",
    "archive/index.html",
    "404.html",
]


def test_imported_briefs_carry_no_markup(built: tuple[Path, Theme, list[str]]) -> None:
    _, _, imported = built
    for text in imported:
        assert not PAYLOAD.search(text), PAYLOAD.search(text)
        assert "data:text/html" not in text
        assert "{{ 7*7 }}" in text, "Jinja syntax in a source is kept as text"


def test_no_page_has_active_content(built: tuple[Path, Theme, list[str]]) -> None:
    site, theme, _ = built
    pages = _html_files(site)
    assert {p.relative_to(site).as_posix() for p in pages} >= set(PAGE_TYPES), "every page type was built"
    found = [problem for p in pages for problem in theme.active_content(p.read_text(encoding="utf-8"), str(p))]
    assert found == []


def test_hostile_text_is_shown_as_text_on_every_page_type(built: tuple[Path, Theme, list[str]]) -> None:
    site, _, _ = built
    title = " ".join(TITLE.split())
    label = "<img src=x onerror=alert('tag')>"
    shows = {
        "index.html": [title],  # (a compact list: tags are on the brief and edition pages)
        "briefs/hostile/index.html": [
            title,
            label,
            "<script>alert('body')</script>",
            "{{ 7*7 }} {% raw %}raw{% endraw %}",
        ],
        "tags/index.html": [label, "<svg onload=alert('group')><script>alert('group')</script></svg>"],
        "tags/xss/index.html": [title, label],
        "tags/china/index.html": [title],
        "weeks/2025-W01/index.html": [title, label],
        "archive/index.html": [title],
    }
    for path, texts in shows.items():
        text = Page((site / path).read_text(encoding="utf-8")).text
        for expected in texts:
            assert expected in text, f"{path} shows {expected!r} as text"


def test_jinja_in_content_is_never_evaluated(built: tuple[Path, Theme, list[str]]) -> None:
    site, _, _ = built
    for path in sorted(p for p in site.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if path.suffix in (".gz", ".pf_fragment", ".pf_index", ".pf_meta", ".pf_filter") or data[:2] == b"\x1f\x8b":
            data = _maybe_gunzip(data)
        text = data.decode("utf-8", "replace")
        for marker in EVALUATED:
            assert marker not in text, f"{path} contains {marker!r}"
    page = Page((site / "briefs" / "hostile" / "index.html").read_text(encoding="utf-8"))
    heading = page.text
    assert "{{ 7*7 }}" in heading and "49" not in heading.replace("2025", "")


def _maybe_gunzip(data: bytes) -> bytes:
    try:
        return gzip.decompress(data)
    except (OSError, EOFError):
        return data


def _feed_problems(path: Path, theme: Theme) -> list[str]:
    tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    found = []
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        name = etree.QName(element).localname
        if name in GUARDED and etree.QName(element).namespace != ATOM:
            found.append(f"{path}: <{name}> element")
        for attribute, value in element.attrib.items():
            if etree.QName(attribute).localname.startswith("on"):
                found.append(f"{path}: attribute {attribute}")
            if etree.QName(attribute).localname == "href" and not value.startswith(("https://", "http://")):
                found.append(f"{path}: href={value!r}")
        if element.get("type") in ("html", "xhtml"):
            markup = (
                element.text or "" if element.get("type") == "html" else etree.tostring(element, encoding="unicode")
            )
            found += theme.active_content(markup, f"{path} <{name}>")
    return found


def test_feeds_and_sitemap_carry_no_active_content(built: tuple[Path, Theme, list[str]]) -> None:
    site, theme, _ = built
    feeds = [site / "feed.xml", *sorted(site.glob("tags/*/feed.xml"))]
    assert site / "tags" / "xss" / "feed.xml" in feeds
    found = [problem for feed in feeds for problem in _feed_problems(feed, theme)]
    assert found == []
    atom = etree.parse(str(site / "feed.xml"))
    titles = [e.text for e in atom.iter(f"{{{ATOM}}}title")]
    assert " ".join(TITLE.split()) in titles, "the title is in the feed as text"

    feed = json.loads((site / "feed.json").read_text(encoding="utf-8"))
    for item in feed["items"]:
        found += theme.active_content(item["content_html"], f"feed.json {item['id']}")
        for key in ("id", "url", "external_url"):
            if key in item:
                assert item[key].startswith(("https://", "http://")), (key, item[key])
    assert found == []
    assert " ".join(TITLE.split()) in [item["title"] for item in feed["items"]]

    sitemap = etree.parse(str(site / "sitemap.xml"))
    locations = [e.text or "" for e in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert locations and all(loc.startswith("https://digest.test/golden/") for loc in locations)
    assert [e for e in sitemap.iter() if isinstance(e.tag, str) and etree.QName(e).localname in GUARDED] == []


SIGNATURE = b"pagefind_dcd"


def _urls(value: object, key: str = "") -> list[str]:
    """Every string under a key that names a URL (url, image, ...) in a JSON value."""
    if isinstance(value, dict):
        return [u for k, v in value.items() for u in _urls(v, str(k))]
    if isinstance(value, list):
        return [u for v in value for u in _urls(v, key)]
    return [value] if isinstance(value, str) and key.lower().endswith(("url", "image", "href", "src")) else []


def test_search_index_links_only_to_the_site(built: tuple[Path, Theme, list[str]]) -> None:
    """The search index (site/pagefind/, when the site has one) holds page text, which Pagefind
    escapes for excerpts and the search page shows as text; the links it holds are the site's own."""
    site, _, _ = built
    folder = site / "pagefind"
    if not folder.is_dir():
        pytest.skip("this build has no search index")
    fragments = []
    for path in sorted(folder.rglob("*.pf_fragment")):
        raw = _maybe_gunzip(path.read_bytes())
        assert raw.startswith(SIGNATURE), path
        fragments.append(json.loads(raw[len(SIGNATURE) :]))
    hostile = [f for f in fragments if f["url"].endswith("/briefs/hostile/")]
    assert hostile and "<script>alert('body')</script>" in hostile[0]["content"], "the payload was indexed, as text"
    for fragment in fragments:
        for url in _urls(fragment):
            assert _scheme(url) not in BAD_SCHEMES, (fragment["url"], url)
        assert _scheme(fragment["url"]) == "" and fragment["url"].startswith("/"), fragment["url"]


@pytest.fixture(scope="module")
def served(built: tuple[Path, Theme, list[str]]) -> Iterator[str]:
    """The hostile site served under its base URL's sub-path (/golden/); yields the origin."""
    site = built[0]
    www = site.parent / "www"
    www.mkdir(exist_ok=True)
    (www / "golden").symlink_to(site, target_is_directory=True)
    with serve_folder(www) as origin:
        yield origin


# Runs in every page before its own scripts: records any call of a dialog function.
TRAP = "window.__ran = []; for (const f of ['alert', 'confirm', 'prompt']) window[f] = (m) => window.__ran.push(String(m));"
LIVE_ATTRIBUTES = """() => [...document.querySelectorAll('*')].flatMap((e) => [...e.attributes]
  .filter((a) => a.name.startsWith('on') || /^\\s*(javascript|vbscript|data):/i.test(a.value))
  .map((a) => `${e.tagName} ${a.name}=${a.value}`))"""


def test_no_payload_runs_in_a_browser(built: tuple[Path, Theme, list[str]], served: str, browser: Browser) -> None:
    """Every page type, and the search page showing the hostile brief, loaded in Chromium: no
    payload runs (no dialog, no call of alert), and the live DOM has no handler or script URL."""
    site = built[0]
    paths = ["/golden/" + p.removesuffix("index.html") for p in PAGE_TYPES]
    search = (site / "search" / "index.html").is_file()
    if search:
        paths.append("/golden/search/?q=alert")
    context = browser.new_context()
    page = context.new_page()
    page.add_init_script(TRAP)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        for path in paths:
            page.goto(served + path, wait_until="load")
            if "/search/" in path:
                page.wait_for_selector("[data-search-results] li", timeout=15_000)
                assert "alert" in page.inner_text("[data-search-results]"), "the hostile briefs were found"
            assert page.evaluate("window.__ran") == [], path
            assert page.evaluate(LIVE_ATTRIBUTES) == [], path
    finally:
        context.close()
    assert dialogs == []
