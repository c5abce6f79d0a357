"""Fingerprints: a hash of everything a planned output depends on.

A page is rendered again only when its fingerprint changes. It covers the code, the
configuration, the taxonomy, the templates the page uses (with everything they extend,
include or import), the values in the page's context, and the bodies of the briefs whose
`body()` the page used when it was last rendered.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import fields, is_dataclass
from types import MappingProxyType
from typing import Any

import jinja2
import jinja2.meta

from digest.content.images import local_path
from digest.core.hashing import key_of
from digest.core.model import Brief
from digest.site.arrange import Site, Tag
from digest.site.pages import Page
from digest.theme.render import CARD_TEMPLATE

_PLAIN = frozenset({str, int, float, bool, type(None)})
_FIELDS: dict[type, tuple[str, ...]] = {}  # a dataclass -> its fields' names (empty: not a dataclass)


def template_keys(
    env: jinja2.Environment, names: Iterable[str], memo: dict[str, object] | None = None
) -> dict[str, str]:
    """For each template name, a hash of its source and of every template it pulls in. Finding
    what a template pulls in means parsing it, a large part of an incremental build: `memo`, kept
    by the build cache, remembers it by the hash of each source between builds."""
    known = memo.get("template_references") if memo is not None else None
    if not isinstance(known, dict):
        known = {}
    seen: dict[str, tuple[str, ...]] = {}
    sources: dict[str, str] = {}
    deps: dict[str, set[str]] = {}

    def visit(name: str) -> None:
        if name in sources:
            return
        try:
            source, _, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
        except jinja2.TemplateNotFound:
            sources[name], deps[name] = "<missing>", set()
            return
        sources[name] = source
        digest = key_of(source)
        found = known.get(digest)
        if found is None:
            found = _references(env, source)
        seen[digest] = found
        deps[name] = set(found) - {_ANY}
        if _ANY in found:  # depend on every template there is now
            deps[name].update(env.list_templates())
        for dep in deps[name]:
            visit(dep)

    keys: dict[str, str] = {}
    visit(CARD_TEMPLATE)  # brief_card() renders its macro from any template
    for name in names:
        if not name:
            keys[name] = ""
            continue
        visit(name)
        closure, stack = set(), [name, CARD_TEMPLATE]
        while stack:
            current = stack.pop()
            if current not in closure:
                closure.add(current)
                stack.extend(deps.get(current, ()))
        keys[name] = key_of(*((n, sources[n]) for n in sorted(closure)))
    if memo is not None:
        memo["template_references"] = seen  # (the templates of this build only)
    return keys


_REFERENCES: dict[str, tuple[str, ...]] = {}
_ANY = "*"  # (among a template's references: a name computed at render time)


def _references(env: jinja2.Environment, source: str) -> tuple[str, ...]:
    """Templates a template's source extends, includes or imports (memoised by source); _ANY
    stands for a name computed at render time, which may be any template."""
    found = _REFERENCES.get(source)
    if found is None:
        try:
            names = list(jinja2.meta.find_referenced_templates(env.parse(source)))
            found = tuple(n for n in names if n)
            if None in names:
                found += (_ANY,)
        except jinja2.TemplateSyntaxError:
            found = ()
        _REFERENCES[source] = found
    return found


def _body_key(site: Site, brief: Brief) -> str:
    """What a page showing the brief's body depends on: the body, and the sizes of the site's
    images it shows."""
    key = site.body_keys.get(brief.slug, "")
    if brief.images:
        return key_of(key, [site.images.get(local_path(i.src) or "") for i in brief.images])
    return key


class Fingerprinter:
    """Computes page fingerprints for one site; shared values are hashed once."""

    def __init__(
        self,
        site: Site,
        global_key: str,
        templates: Mapping[str, str],
        previous: dict[str, tuple[object, ...]] | None = None,
    ) -> None:
        self.site = site
        self.global_key = global_key
        self.templates = templates
        self.memo: dict[int, str] = {}
        # Pages of the previous build in this process: url -> (inputs, static fingerprint). A page
        # whose inputs compare equal (its context values are mostly the very same objects, so the
        # comparison is quick) keeps its fingerprint without hashing its context again.
        self.previous = previous if previous is not None else {}
        labels = repr(sorted((t.slug, t.label) for t in site.tags.values()))
        self.site_key = key_of(global_key, labels, repr(sorted(site.links.items())))
        self.body_keys = {b.slug: _body_key(site, b) for b in site.briefs}
        # Each brief's key, made when a page first shows it (a body edit fingerprints a few pages only).
        self.members = {id(b): b for b in site.briefs}
        self.keys: dict[int, str] = {}

    def with_bodies(self, site: Site, changed: Iterable[Brief]) -> Fingerprinter:
        """The fingerprints of `site`: the site these were made for, with other bodies for the
        `changed` briefs (see build.Plan); everything else is reused."""
        other = copy.copy(self)
        other.site = site
        other.body_keys = dict(self.body_keys)
        for brief in changed:
            other.body_keys[brief.slug] = _body_key(site, brief)
        return other

    def brief(self, brief: Brief) -> str:
        key = self.keys.get(id(brief))
        if key is None:
            if self.members.get(id(brief)) is brief:
                tags, links = self.site.tags, self.site.links
                key = key_of(
                    brief.meta_digest,
                    [tags[s].label for s in brief.tags],
                    [links.get((brief.path, ref)) for ref, _ in brief.refs],
                )
            else:  # a brief that is not part of the site (not expected, but hash it fully)
                key = key_of(repr(brief))
            self.keys[id(brief)] = key
        return key

    def value(self, value: Any) -> str:
        """A string standing for `value`: equal strings for equal values (as templates see them)."""
        kind = type(value)
        if kind is Brief:
            return self.keys.get(id(value)) or self.brief(value)
        if kind is str:
            return "s" + value
        if kind is tuple or kind is list:
            keys, of = self.keys, self.value
            return "(" + "\x1e".join([keys.get(id(v)) or of(v) for v in value]) + ")"
        if kind in _PLAIN:
            return repr(value)
        if kind is MappingProxyType or kind is dict:
            of = self.value
            return "{" + "\x1e".join([f"{k}={of(v)}" for k, v in value.items()]) + "}"
        if kind is Page:
            # pages listed by another page (the sitemap) are tracked by what a listing shows
            return repr(("page", value.url, value.title, value.lastmod))
        if kind is Tag:
            # the tag's own fields and its size; the briefs a tag page shows are in its context
            return repr(("tag", value.slug, value.label, value.group, value.description, len(value.briefs)))
        if isinstance(value, Mapping):
            return "{" + "\x1e".join([f"{k}={self.value(v)}" for k, v in value.items()]) + "}"
        names = _FIELDS.get(kind)
        if names is None:
            names = _FIELDS[kind] = tuple(f.name for f in fields(value)) if is_dataclass(value) else ()
        if not names:
            return repr(value)
        key = self.memo.get(id(value))  # (a dataclass of the site, alive for the whole build)
        if key is None:
            parts = "\x1e".join([self.value(getattr(value, n)) for n in names])
            key = self.memo[id(value)] = key_of(kind.__name__, parts)
        return key

    def static(self, page: Page) -> str:
        """The fingerprint of the page's template and context."""
        inputs = (self.global_key, self.templates.get(page.template, ""), page.template, page.title, page.description,
                  page.section, page.lastmod, page.context)  # fmt: skip
        known = self.previous.get(page.url)
        if known is not None and known[0] == self.site_key and known[1] == inputs:
            return known[2]  # type: ignore[return-value]
        parts = [*map(str, inputs[:-1]), page.url, self.value(page.context)]
        key = hashlib.blake2b("\x1f".join(parts).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
        self.previous[page.url] = (self.site_key, inputs, key)
        return key

    def page(self, page: Page, used_bodies: Iterable[str] = ()) -> str:
        """The page's fingerprint: template, context, and the bodies it used when last rendered."""
        key = self.static(page)
        bodies = [f"{slug}={self.body_keys.get(slug)}" for slug in used_bodies]
        return key_of(key, bodies) if bodies else key
