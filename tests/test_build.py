"""The build as a whole: deterministic, complete, drafts, stale pages, atomic replacement."""

from __future__ import annotations

import gc
import re
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from digest.build.entry import build, open_config
from digest.core.errors import ContentError
from tests.conftest import FIXTURES, REPO, SAMPLE_BASE_URL, tree


@pytest.fixture
def golden_copy(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    shutil.copytree(FIXTURES / "golden-site", root)
    return root


def test_two_builds_are_byte_identical(tmp_path: Path, sample_site: Path) -> None:
    again = tmp_path / "again"
    build(open_config(REPO, base_url=SAMPLE_BASE_URL), again)
    assert tree(again) == tree(sample_site)


def test_every_url_of_the_contract_exists(sample_site: Path) -> None:
    for path in (
        "index.html",
        "page/2/index.html",
        "tags/index.html",
        "tags/china/index.html",
        "tags/china/feed.xml",
        "weeks/index.html",
        "archive/index.html",
        "feed.xml",
        "feed.json",
        "sitemap.xml",
        "robots.txt",
        "404.html",
    ):
        assert (sample_site / path).is_file(), path
    briefs = sorted((REPO / "content" / "briefs").glob("*.md"))
    assert len(briefs) >= 15
    for brief in briefs:
        assert (sample_site / "briefs" / brief.stem / "index.html").is_file()
    weeks = list((sample_site / "weeks").glob("*-W*/index.html"))
    assert len(weeks) >= 5


def test_drafts_are_absent_everywhere_unless_asked_for(golden_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(open_config(golden_copy), out)
    for name, data in tree(out).items():
        assert b"A draft" not in data and b"draft-brief" not in data, name
    build(open_config(golden_copy, drafts=True), out)
    assert (out / "briefs" / "draft-brief" / "index.html").is_file()
    assert b"draft-brief" in (out / "feed.xml").read_bytes()
    assert b"draft-brief" in (out / "sitemap.xml").read_bytes()


def test_deleted_briefs_and_their_tags_and_weeks_disappear(golden_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(open_config(golden_copy), out)
    assert (out / "tags" / "critical-minerals" / "index.html").exists()
    (golden_copy / "content" / "briefs" / "minerals.md").unlink()
    linking = golden_copy / "content" / "briefs" / "chip-rules.md"  # (a link to it would be an error now)
    linking.write_text(linking.read_text().replace("[earlier brief](minerals.md)", "earlier brief"))
    result = build(open_config(golden_copy), out)
    assert not (out / "briefs" / "minerals").exists()
    assert not (out / "tags" / "critical-minerals").exists()
    assert b"gallium" not in (out / "index.html").read_bytes()
    assert result.stats.removed > 0
    fresh = tmp_path / "fresh"
    build(open_config(golden_copy), fresh)
    assert tree(out) == tree(fresh), "a rebuild equals a clean build"


def test_unchanged_files_keep_their_modification_time(golden_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(open_config(golden_copy), out)
    about = out / "briefs" / "older-brief" / "index.html"
    before = about.stat().st_mtime_ns
    brief = golden_copy / "content" / "briefs" / "minerals.md"
    brief.write_text(brief.read_text().replace("Raw <b>HTML</b>", "Edited"))
    result = build(open_config(golden_copy), out)
    assert about.stat().st_mtime_ns == before
    assert b"Edited" in (out / "briefs" / "minerals" / "index.html").read_bytes()
    assert 0 < result.stats.written < result.stats.unchanged


def test_a_large_commit_clears_its_old_copies_in_the_background(
    golden_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A commit that replaces many files keeps the old ones until it is through (to undo it),
    then leaves their removal to a background process: the site is already complete, equal to
    a clean build, and the copies are gone soon after."""
    monkeypatch.setattr("digest.build.writer.BACKGROUND_AT", 1)
    out = tmp_path / "out"
    build(open_config(golden_copy), out)
    (golden_copy / "templates").mkdir(exist_ok=True)
    template = (REPO / "templates" / "brief.html").read_text()
    (golden_copy / "templates" / "brief.html").write_text(template.replace("</article>", "<!-- edited -->\n</article>"))
    result = build(open_config(golden_copy), out)
    assert result.stats.written >= 3 and b"<!-- edited -->" in (out / "briefs" / "minerals" / "index.html").read_bytes()
    fresh = tmp_path / "fresh"
    build(open_config(golden_copy), fresh)
    assert tree(out) == tree(fresh)
    for _ in range(600):  # (waits for the removal, up to a minute; it takes milliseconds)
        left = [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.")]
        if not left:
            break
        time.sleep(0.1)
    assert not left, "the old copies are removed"


def test_a_failed_build_leaves_the_previous_site(golden_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(open_config(golden_copy), out)
    before = tree(out)
    (golden_copy / "content" / "briefs" / "minerals.md").write_text("---\ntitle: [unclosed\n---\n")
    with pytest.raises(ContentError):
        build(open_config(golden_copy), out)
    assert tree(out) == before


def test_the_garbage_collector_pauses_during_a_build_and_runs_again_after_it(
    golden_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `digest serve` lives across builds: a build that failed must not leave collection off.
    from digest.build import pipeline

    collecting: list[bool] = []
    plan_pages = pipeline.plan_pages

    def planned(*args: Any) -> Any:
        collecting.append(gc.isenabled())
        return plan_pages(*args)

    monkeypatch.setattr(pipeline, "plan_pages", planned)
    out = tmp_path / "out"
    build(open_config(golden_copy), out)
    assert gc.isenabled()
    (golden_copy / "content" / "briefs" / "minerals.md").write_text("---\ntitle: [unclosed\n---\n")
    with pytest.raises(ContentError):
        build(open_config(golden_copy), out)
    assert gc.isenabled()
    # (no pass over the heap in the middle of a build; the failed one plans too, to find every problem)
    assert collecting == [False, False]


def test_a_static_file_in_the_place_of_a_page_is_an_error_and_changes_nothing(
    golden_copy: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    build(open_config(golden_copy), out)
    before = tree(out)
    brief = golden_copy / "content" / "briefs" / "minerals.md"
    brief.write_text(brief.read_text() + "\nA sentence the search index would take.\n")
    (golden_copy / "static" / "tags").mkdir(parents=True)
    (golden_copy / "static" / "tags" / "index.html").write_text("<p>mine</p>")
    with pytest.raises(ContentError) as error:
        build(open_config(golden_copy), out)
    assert [str(p) for p in error.value.problems] == [
        "static/tags/index.html: a static file collides with the generated page /tags/; expected another name"
    ]
    assert tree(out) == before
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.")], "nothing is left beside it"


def test_template_errors_name_the_template_and_line(golden_copy: Path, tmp_path: Path) -> None:
    templates = golden_copy / "templates"
    templates.mkdir()
    (templates / "tags.html").write_text(
        '{% extends "base.html" %}\n{% block main %}\n{% for x in groups %}\n{% endblock %}\n'
    )
    with pytest.raises(ContentError) as info:
        build(open_config(golden_copy), tmp_path / "out")
    assert str(info.value.problems[0]).startswith("templates/tags.html:4: template syntax error: ")
    (templates / "tags.html").write_text(
        '{% extends "base.html" %}\n{% block main %}\n<p>{{ no_such_variable }}</p>\n{% endblock %}\n'
    )
    with pytest.raises(ContentError) as info:
        build(open_config(golden_copy), tmp_path / "out")
    assert str(info.value.problems[0]) == (
        "templates/tags.html:3: error rendering /tags/: 'no_such_variable' is undefined; "
        "expected only the variables that digest passes to this template"
    )
    assert not (tmp_path / "out").exists()


def test_a_template_that_lists_a_tags_briefs_through_tag_slug_is_refused(golden_copy: Path, tmp_path: Path) -> None:
    """A brief page is rendered again when what it shows of its own context changes; the briefs of
    another tag are not in it. A template that reads them through `tag(slug)` would go stale at
    the next edit, so the build refuses it, naming the template, its line and the page; labels
    and URLs stay allowed."""
    theme = (REPO / "templates" / "brief.html").read_text()
    (golden_copy / "templates").mkdir()
    brief_html = golden_copy / "templates" / "brief.html"
    brief_html.write_text(
        theme.replace(
            "{% block main %}",
            "{% block main %}{% for slug in brief.tags %}<p>{{ tag(slug).label }} at {{ tag(slug).url }}"
            " in {{ tag(slug).group }}</p>{% endfor %}",
            1,
        )
    )
    build(open_config(golden_copy), tmp_path / "ok")
    shown = (tmp_path / "ok" / "briefs" / "minerals" / "index.html").read_text()
    assert "<p>China at /tags/china/ in country</p>" in shown, "labels, URLs and groups are allowed"
    brief_html.write_text(
        theme.replace(
            "{% block main %}",
            "{% block main %}\n{% for slug in brief.tags %}{{ tag(slug).briefs | length }}{% endfor %}",
            1,
        )
    )
    with pytest.raises(ContentError) as info:
        build(open_config(golden_copy), tmp_path / "out")
    message = str(info.value.problems[0])
    assert message.startswith("templates/brief.html:"), message
    line = int(message.split(":")[1])
    assert "tag(slug).briefs" in brief_html.read_text().splitlines()[line - 1], message
    assert "error rendering /briefs/" in message and "tag('" in message and ".briefs" in message, message
    assert "label" in message and "url" in message, "it says what tag(slug) gives"
    assert "Error" not in message, "worded for the template author, not as a Python exception"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "reading",
    [
        pytest.param("{% for b in tag.briefs %}{{ b.title }}{% endfor %}", id="listing"),
        pytest.param("{{ tag.briefs[0].title }}", id="first"),
        pytest.param("{{ tag['briefs'] | first }}", id="subscript"),
    ],
)
def test_a_tag_page_counts_its_tags_briefs_but_lists_only_its_own(
    golden_copy: Path, tmp_path: Path, reading: str
) -> None:
    """A tag page's fingerprint follows its own share of the briefs and the tag's count: a
    template that reads every brief of the tag (beyond the page's `briefs`) would show stale
    titles after an edit of a brief on another page of the tag, so the build refuses it."""
    theme = (REPO / "templates" / "tag.html").read_text()
    assert "tag.briefs | length" in theme, "the theme's own tag page counts them"
    (golden_copy / "templates").mkdir()
    tag_html = golden_copy / "templates" / "tag.html"
    tag_html.write_text(theme.replace("{% block main %}", "{% block main %}\n" + reading, 1))
    with pytest.raises(ContentError) as info:
        build(open_config(golden_copy), tmp_path / "out")
    message = str(info.value.problems[0])
    assert message.startswith("templates/tag.html:"), message
    assert reading in tag_html.read_text().splitlines()[int(message.split(":")[1]) - 1], message
    assert "error rendering /tags/" in message and "tag.briefs | length" in message, message
    assert not (tmp_path / "out").exists()


def test_a_site_template_overrides_the_theme_file_by_file(golden_copy: Path, tmp_path: Path) -> None:
    (golden_copy / "templates").mkdir()
    (golden_copy / "templates" / "404.html").write_text(
        '{% extends "base.html" %}{% block main %}<h1>Lost at sea</h1>{% endblock %}'
    )
    build(open_config(golden_copy), tmp_path / "out")
    assert b"Lost at sea" in (tmp_path / "out" / "404.html").read_bytes()
    assert b"Latest briefs" in (tmp_path / "out" / "index.html").read_bytes(), (
        "other templates still come from the theme"
    )


def test_the_date_macro_of_a_site_macros_file_shows_on_every_page(golden_copy: Path, tmp_path: Path) -> None:
    """`date(value)` renders the `date` macro of `_macros.html` once per date and build: a
    site's own `_macros.html` changes the dates of brief pages, weekly editions, the archive
    and the cards alike, and an edit of it changes them again at the next build."""
    theme = (REPO / "templates" / "_macros.html").read_text()
    (golden_copy / "templates").mkdir()
    macros = golden_copy / "templates" / "_macros.html"
    macros.write_text(
        theme.replace('<time datetime="{{ value | isodate }}">', '<time class="mine" datetime="{{ value | isodate }}">')
    )
    out = tmp_path / "out"
    build(open_config(golden_copy), out)
    # (the archive shows the day alone under its month: no date macro there)
    pages = [out / "briefs" / "minerals" / "index.html", out / "index.html"]
    pages.append(next((out / "weeks").glob("*/index.html")))
    for page in pages:
        assert '<time class="mine" datetime=' in page.read_text(), page
    macros.write_text(
        theme.replace(
            '<time datetime="{{ value | isodate }}">', '<time class="edited" datetime="{{ value | isodate }}">'
        )
    )
    build(open_config(golden_copy), out)
    for page in pages:
        text = page.read_text()
        assert '<time class="edited" datetime=' in text and 'class="mine"' not in text, page


def test_template_calls_pass_the_context_to_functions_that_ask_for_it(tmp_path: Path) -> None:
    """Calls from templates skip Jinja's per-call checks for plain functions and methods; a
    function marked to take the context, environment or evaluation context still gets it, a
    callable object and a macro are called as Jinja calls them, and a function that raises
    StopIteration gives an undefined value, as in Jinja."""
    import jinja2

    from digest.theme.environment import make_environment

    class Counter:
        def __init__(self) -> None:
            self.n = 0

        def next(self) -> int:
            self.n += 1
            return self.n

        def __call__(self, x: int) -> int:
            return x * 10

    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "t.html").write_text(
        "{% macro twice(x) %}{{ x }}{{ x }}{% endmacro %}"
        "{{ plain(1) }}|{{ ctx('who') }}|{{ envf() }}|{{ evalf() }}|{{ counter.next() }}{{ counter.next() }}|"
        "{{ counter(4) }}|{{ twice(3) }}|{{ stops() is undefined }}|{% for i in [7] %}{% set k = i %}{{ ctx('k') }}{% endfor %}"
    )

    def stops() -> None:
        raise StopIteration

    env = make_environment(tmp_path)
    env.undefined = jinja2.Undefined
    env.globals.update(
        plain=lambda x: x + 1,
        ctx=jinja2.pass_context(lambda context, name: context.get(name, "?")),
        envf=jinja2.pass_environment(lambda environment: "Environment" * isinstance(environment, jinja2.Environment)),
        evalf=jinja2.pass_eval_context(lambda eval_ctx: eval_ctx.autoescape),
        counter=Counter(),
        stops=stops,
    )
    for _ in range(2):  # (the second time from what was learnt about each function)
        text = env.get_template("t.html").render(who="reader")
        assert text.startswith("2|reader|Environment|True|")
        assert text.endswith("|40|33|True|7")


def test_templates_print_exactly_what_plain_jinja_prints(tmp_path: Path) -> None:
    """digest's templates print through a faster escape, build each page's context and check
    imports without Jinja's per-render loops, and encode `tojson` with a kept encoder; the
    text is Jinja's own, character for character: values escaped once (not in blocks set to
    a variable, filter blocks, macros or calls), page variables over globals, an imported
    module seeing the globals of the template that imports it, `tojson` with and without
    options."""
    import jinja2
    from markupsafe import Markup

    from digest.theme.environment import make_environment

    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "_m.html").write_text(
        "{% macro shout(x) %}<b>{{ x }}</b>{{ caller() if caller is defined else '' }}{% endmacro %}"
        "{% macro seen() %}{{ extra | default('no extra') }}{% endmacro %}"
        "{% set g = '<module>' %}"
    )
    (templates / "_inc.html").write_text("[{{ text }}|{{ shadowed }}]")
    page = (
        '{% from "_m.html" import shout, seen, g %}{% import "_m.html" as m %}'
        "1 {{ text }} {{ number }} {{ 2.5 }} {{ nothing }} {{ safe }} {{ missing | default('d<') }} {{ flag }}\n"
        "2 {% set block %}{{ text }}<i>{% endset %}{{ block }} {{ block | length }}\n"
        "3 {% filter upper %}{{ text }}{% endfilter %}\n"
        "4 {{ shout(text) }} {% call shout(text) %}{{ text }}{{ safe }}{% endcall %} {{ g }} {{ m.g }} {{ seen() }}\n"
        "5 {{ data | tojson }} {{ data | tojson(2) }}\n"
        '6 {{ shadowed }} {{ helper(text) }} {{ "a" ~ text ~ number }} {{ text | e }} {{ text | safe }}\n'
        "7 {% include '_inc.html' %} {{ [text, number] | join(', ') }} {% for x in [text, safe, 3] %}{{ x }},{% endfor %}\n"
    )
    (templates / "page.html").write_text(page)
    (templates / "other.html").write_text(page)

    def render(env: jinja2.Environment) -> tuple[str, str]:
        env.globals.update(shadowed="global", helper=lambda value: f"<{value}>", flag=True)
        values = {
            "text": "<b>\"Tom\" & 'Jerry'</b>",
            "number": 7,
            "nothing": None,
            "safe": Markup("<em>kept</em>"),
            "data": {"z": "</script><!--", "a": [1, "é"], "m": {"y": 1, "b": None}},
            "shadowed": "<page>",
        }
        first = env.get_template("page.html").render(**values)
        other = env.get_template("other.html", globals={"extra": "<extra>"}).render(**values)
        return first, other

    digest_env = make_environment(tmp_path)
    plain = make_environment(tmp_path)
    plain.template_class = jinja2.Template
    plain.context_class = jinja2.runtime.Context
    plain.policies = dict(jinja2.defaults.DEFAULT_POLICIES)
    for _ in range(2):  # (the second time from the environments' caches)
        ours, theirs = render(digest_env), render(plain)
        assert ours == theirs
    first, other = ours
    assert "1 &lt;b&gt;&#34;Tom&#34; &amp; &#39;Jerry&#39;&lt;/b&gt; 7 2.5 None <em>kept</em> d&lt; True" in first
    assert "2 &lt;b&gt;&#34;Tom&#34; &amp; &#39;Jerry&#39;&lt;/b&gt;<i> " in first
    assert "6 &lt;page&gt; &lt;&lt;b&gt;" in first
    assert "no extra" in first and "&lt;extra&gt;" in other


def test_sub_path_base_url_prefixes_every_link(subpath_site: Path) -> None:
    home = (subpath_site / "index.html").read_text()
    stylesheet = re.search(r'<link rel="stylesheet" href="/digest/(static/style\.[0-9a-f]{10}\.css)">', home)
    assert stylesheet and (subpath_site / stylesheet[1]).is_file()
    assert 'href="/digest/tags/"' in home
    assert '<link rel="canonical" href="https://example.org/digest/">' in home
    assert 'href="/tags/' not in home and 'href="/briefs/' not in home


def test_links_between_briefs_resolve_to_brief_urls(sample_site: Path) -> None:
    linking = [p for p in (REPO / "content" / "briefs").glob("*.md") if ".md)" in p.read_text()]
    assert linking
    for source in linking:
        page = (sample_site / "briefs" / source.stem / "index.html").read_text()
        assert '.md"' not in page and "digest-ref:" not in page


def test_a_second_build_waits_for_the_first(golden_copy: Path) -> None:
    import fcntl
    import select
    import subprocess
    import sys
    import time

    lock = golden_copy / ".digest-cache" / "build.lock"
    lock.parent.mkdir(mode=0o700)  # (as a build makes it: a cache open to others is not trusted)
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # another build holds the site
        process = subprocess.Popen(
            [sys.executable, "-m", "digest", "build", "--root", str(golden_copy), "--quiet"],
            stderr=subprocess.PIPE,
            text=True,
        )
        # (however long the second build takes to start on a busy machine: it says it waits)
        said = ""
        while "waiting" not in said and select.select([process.stderr], [], [], 60)[0]:
            line = process.stderr.readline()  # type: ignore[union-attr]
            if not line:
                break
            said += line
        assert "waiting for another build of this site to finish" in said
        time.sleep(0.5)
        assert process.poll() is None, "the second build waits"
        assert not (golden_copy / "site").exists(), "and writes nothing meanwhile"
        fcntl.flock(handle, fcntl.LOCK_UN)
    process.communicate(timeout=60)
    assert process.returncode == 0
    assert (golden_copy / "site" / "index.html").is_file()
