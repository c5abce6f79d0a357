"""Rendering planned pages to bytes (pure: no filesystem access besides reading templates)."""

from __future__ import annotations

import json
import posixpath
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup

from digest.content.bodies import Body, MissingBody
from digest.content.images import local_path
from digest.content.markup import resolve_links
from digest.content.reading import minutes_for, plain_text, text_counts
from digest.core.dates import isodate, longdate, rfc3339, shortdate
from digest.core.errors import Problem
from digest.core.model import Brief
from digest.site.arrange import Site, brief_url
from digest.site.editions import Edition
from digest.site.pages import Page, Pager
from digest.theme import structured
from digest.theme.environment import template_path
from digest.theme.exports import render_export

CARD_TEMPLATE = "_macros.html"


class Renderer:
    """Renders the pages of one site with one Jinja environment."""

    def __init__(
        self,
        site: Site,
        env: jinja2.Environment,
        body: Callable[[Brief], Body],
        assets: Mapping[str, str] | None = None,
    ) -> None:
        """`body(brief)` gives a brief's rendered body (see content.bodies.body_reader): the one
        thing of a page that is not in its context, recorded per page in `used`."""
        self.site = site
        self.assets = assets or {}
        self.config = site.config
        self.base_path = site.config.base_path
        self.origin = site.config.origin
        self.env = env
        self.read_body = body
        self.bodies: dict[str, Markup] = {}
        self.used: set[str] = set()  # slugs whose body the page being rendered used
        self.cards: dict[str, Markup] = {}
        self.labels: dict[str, TagLabel] = {}
        self.dates: dict[tuple[Any, ...], Markup] = {}
        self.minutes: dict[str, int] = {}
        self.counts: dict[str, tuple[int, int]] = {}  # slug -> words and CJK characters of its body
        self.templates: dict[str, jinja2.Template] = {}  # (the environment's templates do not change)
        env.globals.update(
            site=SimpleNamespace(
                title=self.config.title,
                description=self.config.description,
                base_url=self.config.base_url,
                language=self.config.language,
                author=self.config.author,
                search=self.config.search,
                extra=self.config.extra,
                instruments=bool(site.tracker and site.tracker.standings),
            ),
            url=self.url,
            asset=self.asset,
            abs_url=self.abs_url,
            brief_url=brief_url,
            tag=self.tag,
            body=self.body,
            key_points=self.key_points,
            brief_card=self.brief_card,
            date=self.date,
            feed_updated=feed_updated,
            reading_time=self.reading_time,
            article_ld=self.article_ld,
            breadcrumb_ld=self.breadcrumb_ld,
            collection_ld=self.collection_ld,
            edition_note=self.edition_note,
        )
        env.filters.update(longdate=longdate, isodate=isodate, rfc3339=rfc3339, shortdate=shortdate)

    def url(self, path: str) -> str:
        """Site path ('/tags/') -> URL path under the base URL ('/digest/tags/')."""
        return self.base_path + path.lstrip("/")

    def asset(self, name: str) -> str:
        """URL of a theme asset by its plain name ('style.css'), as published (fingerprinted by `digest build`)."""
        published = self.assets.get(name)
        if published is None:
            raise jinja2.TemplateRuntimeError(f"no theme asset '{name}'; expected a file templates/static/{name}")
        return self.url("/" + published)

    def abs_url(self, path: str) -> str:
        return self.origin + self.url(path)

    def tag(self, slug: str) -> TagLabel:
        """What a template may read of any tag (see TagLabel)."""
        found = self.labels.get(slug)
        if found is None:
            t = self.site.tags[slug]
            found = self.labels[slug] = TagLabel(t.slug, t.label, t.group, t.description, t.known, t.url)
        return found

    def _resolve(self, brief: Brief) -> Any:
        def resolve(kind: str, target: str) -> str:
            if kind == "root":
                return self.url(target)
            slug = self.site.links.get((brief.path, target))
            if slug is None:
                return target
            fragment = urlsplit(target).fragment
            return self.url(f"/briefs/{slug}/") + (f"#{fragment}" if fragment else "")

        return resolve

    def body(self, brief: Brief) -> Markup:
        self.used.add(brief.slug)
        if brief.slug not in self.bodies:
            html, words, cjk = self.read_body(brief)
            self.bodies[brief.slug] = Markup(resolve_links(html, self._resolve(brief), self._image_size))
            self.counts[brief.slug] = (words, cjk)
        return self.bodies[brief.slug]

    def edition_note(self, edition: Edition) -> Markup:
        """The editor's note of an edition, its links resolved (a link to a brief file or slug
        goes to that brief's page, whether or not it exists: a note depends on its text alone)."""

        def resolve(kind: str, target: str) -> str:
            if kind == "root":
                return self.url(target)
            parts = urlsplit(target)
            slug = posixpath.basename(parts.path).removesuffix(".md")
            return self.url(f"/briefs/{slug}/") + (f"#{parts.fragment}" if parts.fragment else "")

        return Markup(resolve_links(edition.note_html, resolve))

    def _image_size(self, src: str) -> tuple[int, int] | None:
        path = local_path(src)
        return self.site.images.get(path) if path else None

    def reading_time(self, brief: Brief) -> int:
        """Minutes to read the brief (summary, key points and body); like `body()`, the page
        is rendered again when the body changes."""
        self.body(brief)
        minutes = self.minutes.get(brief.slug)
        if minutes is None:
            words, cjk = text_counts(brief.summary, *(plain_text(p) for p in brief.key_points_html))
            body_words, body_cjk = self.counts[brief.slug]
            minutes = self.minutes[brief.slug] = minutes_for(words + body_words, cjk + body_cjk)
        return minutes

    def article_ld(self, brief: Brief) -> dict[str, Any]:
        """JSON-LD `NewsArticle` of a brief (print it with `| tojson`)."""
        keywords = [self.tag(slug).label for slug in brief.tags]
        url = self.abs_url(brief_url(brief))
        return structured.article(brief, self.config, self.abs_url, url, keywords, self.reading_time(brief))

    def breadcrumb_ld(self, *trail: tuple[str, str]) -> dict[str, Any]:
        """JSON-LD `BreadcrumbList` from the home page through (name, site path) pairs."""
        home = (self.config.title, self.abs_url("/"))
        return structured.breadcrumbs([home, *((name, self.abs_url(path)) for name, path in trail)])

    def collection_ld(self, page: Page, briefs: Iterable[Brief], pager: Pager | None = None) -> dict[str, Any]:
        """JSON-LD `CollectionPage` of a page listing `briefs` (page `pager` of a paginated list)."""
        items = [(b.title, self.abs_url(brief_url(b))) for b in briefs]
        url, config = self.abs_url(page.url), self.config
        first = (pager.number - 1) * config.per_page + 1 if pager else 1
        return structured.collection(page.title, page.description, url, items, config, self.abs_url, first)

    def brief_card(self, brief: Brief) -> Markup:
        """The `card` macro of `_macros.html` for a brief, rendered once per build and reused
        by every list that shows the brief."""
        card = self.cards.get(brief.slug)
        if card is None:
            macro = self.env.get_template(CARD_TEMPLATE).module.card  # type: ignore[attr-defined]
            card = self.cards[brief.slug] = Markup(macro(brief))
        return card

    def date(self, value: Any) -> Markup:
        """The `date` macro of `_macros.html` for a date, rendered once per build for each
        date (a brief page shows six or more, and the archive every brief's)."""
        # (an aware datetime equals one of another offset at the same instant, but prints otherwise)
        key: tuple[Any, ...] | None = (type(value), value, getattr(value, "tzinfo", None))
        try:
            found = self.dates.get(key)  # type: ignore[arg-type]
        except TypeError:  # (unhashable: not kept)
            key, found = None, None
        if found is None:
            found = Markup(self.env.get_template(CARD_TEMPLATE).module.date(value))  # type: ignore[attr-defined]
            if key is not None:
                self.dates[key] = found
        return found

    def key_points(self, brief: Brief) -> list[Markup]:
        resolve = self._resolve(brief)
        return [Markup(resolve_links(html, resolve)) for html in brief.key_points_html]

    def render(self, page: Page) -> tuple[bytes, tuple[str, ...]]:
        """The page's bytes, and the slugs of the briefs whose body it used."""
        self.used = set()
        if page.url == "/feed.json":
            data = self.json_feed(page.context["briefs"]).encode()
        elif "export" in page.context:
            data = render_export(page.context["export"], page.context["standings"], page.title, self.config)
        else:
            template = self.templates.get(page.template)
            if template is None:
                template = self.templates[page.template] = self.env.get_template(page.template)
            data = template.render(page=page, **page.context).encode()
        return data, tuple(sorted(self.used))

    def json_feed(self, briefs: Iterable[Brief]) -> str:
        feed: dict[str, Any] = {
            "version": "https://jsonfeed.org/version/1.1",
            "title": self.config.title,
            "description": self.config.description,
            "home_page_url": self.abs_url("/"),
            "feed_url": self.abs_url("/feed.json"),
            "language": self.config.language,
            "authors": [{"name": self.config.author}],
            "items": [],
        }
        for brief in briefs:
            points = "".join(f"<li>{p}</li>" for p in self.key_points(brief))
            item: dict[str, Any] = {
                "id": self.abs_url(brief_url(brief)),
                "url": self.abs_url(brief_url(brief)),
                "title": brief.title,
                "summary": brief.summary,
                "content_html": f"<p>{Markup.escape(brief.summary)}</p><ul>{points}</ul>{self.body(brief)}",
                "date_published": rfc3339(brief.published),
                "tags": [self.site.tags[s].label for s in brief.tags],
            }
            if brief.updated:
                item["date_modified"] = rfc3339(brief.updated)
            if brief.source and brief.source.url:
                item["external_url"] = brief.source.url
            feed["items"].append(item)
        return json.dumps(feed, ensure_ascii=False, indent=2) + "\n"


@dataclass(frozen=True)
class TagLabel:
    """What `tag(slug)` gives a template: a tag's name, description and address, never its briefs.

    A page is rendered again when its own context changes (and the bodies it used), so what a
    template reads of the site must be in that context: a list of a tag's briefs belongs to the
    tag's page, where `tag.briefs` is in the context. Reading anything else here is refused with
    a template error naming the page, so that no page can go stale after the next edit."""

    slug: str
    label: str
    group: str
    description: str
    known: bool
    url: str

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # (Python's and Markup's own probes)
            raise AttributeError(name)
        raise jinja2.TemplateRuntimeError(
            f"tag('{self.slug}').{name} is not given to templates; expected one of slug, label, group,"
            " description, known, url (a page listing a tag's briefs is the tag's page, whose `tag.briefs`"
            " is in its context)"
        )


def render_page(renderer: Renderer, page: Page, root: Path) -> tuple[bytes, tuple[str, ...]] | Problem:
    """Render one page; a template problem comes back as a Problem naming its file and line."""
    try:
        return renderer.render(page)
    except MissingBody:
        raise
    except jinja2.TemplateSyntaxError as exc:
        name = exc.name or page.template
        return Problem(
            template_path(root, name),
            exc.lineno,
            f"template syntax error: {(exc.message or '').rstrip('.')}; expected valid Jinja syntax",
        )
    except jinja2.TemplateNotFound as exc:
        name, line = _template_position(exc, page.template)  # the include or extends that names it
        return Problem(
            template_path(root, name),
            line,
            f"template '{exc.name}' not found; expected it in templates/ or the default theme",
        )
    except Exception as exc:  # noqa: BLE001 - any error inside a template is the template's
        name, line = _template_position(exc, page.template)
        return Problem(template_path(root, name), line, f"error rendering {page.url}: {_describe(exc)}")


def _describe(exc: Exception) -> str:
    if isinstance(exc, jinja2.UndefinedError):
        return f"{exc.message}; expected only the variables that digest passes to this template"
    if type(exc) is jinja2.TemplateRuntimeError:  # (digest's own refusals, worded for the author)
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _template_position(exc: BaseException, fallback: str) -> tuple[str, int]:
    """The innermost template frame of a rendering error (Jinja rewrites its tracebacks)."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename and not frame.filename.endswith(".py") and frame.lineno:
            name = frame.filename.replace("\\", "/")
            return (name.rsplit("templates/", 1)[1] if "templates/" in name else name), frame.lineno
    return fallback, 0


def feed_updated(briefs: Iterable[Brief]) -> str:
    latest = max((b.last_modified for b in briefs), default=None)
    return rfc3339(latest) if latest else "1970-01-01T00:00:00+00:00"
