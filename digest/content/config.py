"""Site configuration: `digest.yaml`, every key defaulted."""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from digest.content.sourcefile import read_text
from digest.content.yamldoc import parse_file
from digest.core.errors import ContentError, Problem
from digest.core.model import KNOWN_KEYS

CONFIG_FILE = "digest.yaml"


@dataclass(frozen=True)
class Config:
    """Everything a build needs to know besides the content itself."""

    root: Path = Path(".")
    title: str = "AI Policy Digest"
    description: str = "Briefings on AI policy: export controls, chips, regulation and who builds what."
    base_url: str = "http://localhost:8000/"
    language: str = "en"
    author: str = "The digest team"
    per_page: int = 10
    timezone: str = "UTC"
    taxonomy: str = "content/tags.yaml"
    search: bool = True
    # spellings and names a search treats as one (`search: {synonyms: [[licence, license]]}`)
    synonyms: tuple[tuple[str, ...], ...] = ()
    fields: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # the site's own front-matter keys
    open_tags: bool = False  # tags outside the taxonomy allowed (check warns)
    drafts: bool = False
    # Set by the caller, not by digest.yaml (`digest serve` turns both: a page's assets keep
    # their names while they change under it, and the drafts it shows can be searched for).
    fingerprint_assets: bool = True  # theme assets named after their content
    search_drafts: bool = False  # drafts built (--drafts) are indexed too
    today: dt.date | None = None  # the build's date (`--today`): what is upcoming; set by digest.build.entry.build
    extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    lines: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}), compare=False, repr=False)

    @property
    def base_path(self) -> str:
        """The URL path the site lives under: '/' or '/sub/path/'."""
        path = urlsplit(self.base_url).path or "/"
        return path if path.endswith("/") else path + "/"

    @property
    def origin(self) -> str:
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def with_overrides(self, **changes: Any) -> Config:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


_STR_KEYS = ("title", "description", "language", "author")
KEYS = (
    "title", "description", "base_url", "language", "author", "per_page", "timezone", "taxonomy", "search",
    "fields", "open_tags",
)  # fmt: skip
FIELD_TYPES = ("string", "date", "list", "url", "number", "boolean")
_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_LANG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def check_base_url(value: object) -> str | None:
    """Return an error message if `value` is not an absolute http(s) URL."""
    if not isinstance(value, str) or not value.strip():
        return "'base_url' must be a URL; expected e.g. https://example.org/digest/"
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"'base_url' must be an absolute http(s) URL, got '{value}'; expected e.g. https://example.org/digest/"
    if parts.query or parts.fragment:
        return f"'base_url' must not have a query or fragment, got '{value}'; expected e.g. https://example.org/digest/"
    return None


def _shown(value: object) -> str:
    """A YAML value as the writer wrote it: `true`, `0`, `'ten'`."""
    return str(value).lower() if isinstance(value, bool) else repr(value)


def _known_key(key: object) -> str | None:
    """The key that `key` misspells by case, '-' or '_' (`baseurl`, `Per-Page`), if any."""
    squashed = re.sub(r"[-_ ]", "", str(key).lower())
    return next((k for k in KEYS if k != key and k.replace("_", "") == squashed), None)


def check_taxonomy_path(root: Path, value: object) -> str | None:
    """An error message unless `value` names an existing file inside the site folder."""
    example = "expected a path inside the site folder such as content/tags.yaml"
    if not isinstance(value, str) or not value.strip():
        return f"'taxonomy' must be a path; {example}"
    text = value.strip()
    path = Path(text)
    if path.is_absolute() or ".." in path.parts or "\\" in text:
        return f"'taxonomy' must be a relative path without '..', got '{text}'; {example}"
    if not (root / path).is_file():
        return f"'taxonomy' names '{text}', which is not a file; {example}"
    return None


def normalize_base_url(value: str) -> str:
    return value if value.endswith("/") else value + "/"


def find_site(start: Path) -> Path | None:
    """The site folder `start` is in, as git finds its repository: the nearest of `start` and
    its parents that has a digest.yaml (given as a path relative to the current folder when
    `start` was). None outside a site."""
    if (start / CONFIG_FILE).is_file():
        return start
    for folder in start.absolute().parents:
        if (folder / CONFIG_FILE).is_file():
            return folder if start.is_absolute() else Path(os.path.relpath(folder))
    return None


def load_config(root: Path) -> Config:
    """Read `root/digest.yaml` (optional) into a Config; raise ContentError listing every problem."""
    path = root / CONFIG_FILE
    rel = CONFIG_FILE
    if not path.exists():
        return Config(root=root)
    problems: list[Problem] = []
    text = read_text(path, rel)
    doc = parse_file(text, rel)
    data = doc.data
    if data is None:
        return Config(root=root)
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else "text"
        raise ContentError(
            [Problem(rel, 1, f"the configuration must be `key: value` lines, got {kind}; expected e.g. `title: ...`")]
        )
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in data.items():
        line = doc.line(str(key))
        if key in _STR_KEYS:
            if not isinstance(value, str) or not value.strip():
                problems.append(Problem(rel, line, f"'{key}' must be a non-empty string; expected e.g. `{key}: ...`"))
            else:
                values[key] = value.strip()
        elif key == "base_url":
            message = check_base_url(value)
            if message:
                problems.append(Problem(rel, line, message))
            else:
                values[key] = normalize_base_url(str(value).strip())
        elif key == "per_page":
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1000:
                problems.append(
                    Problem(
                        rel,
                        line,
                        f"'per_page' must be a whole number from 1 to 1000, got {_shown(value)}; expected e.g. `per_page: 10`",
                    )
                )
            else:
                values[key] = value
        elif key == "timezone":
            try:
                zoneinfo.ZoneInfo(str(value))
                values[key] = str(value)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder such as 'Europe'
                problems.append(
                    Problem(
                        rel, line, f"unknown timezone '{value}'; expected an IANA name such as UTC or Europe/Brussels"
                    )
                )
        elif key == "taxonomy":
            message = check_taxonomy_path(root, value)
            if message:
                problems.append(Problem(rel, line, message))
            else:
                values[key] = str(value).strip()
        elif key == "search" and isinstance(value, dict):
            synonyms = _synonyms(value, rel, doc.line, problems)
            if synonyms is not None:
                values["synonyms"] = synonyms
        elif key in ("search", "open_tags"):
            if not isinstance(value, bool):
                problems.append(
                    Problem(rel, line, f"'{key}' must be true or false, got {value!r}; expected `{key}: true`")
                )
            else:
                values[key] = value
        elif key == "fields":
            fields = _fields(value, rel, line, doc.line, problems)
            if fields is not None:
                values[key] = MappingProxyType(fields)
        elif _known_key(key):
            problems.append(
                Problem(
                    rel, line, f"unknown key '{key}'; did you mean '{_known_key(key)}'? (other keys go to site.extra)"
                )
            )
        else:
            extra[str(key)] = value
    if "language" in values and not _LANG.match(values["language"]):
        problems.append(
            Problem(
                rel,
                doc.line("language"),
                f"'language' must be a language tag, got '{values['language']}'; expected e.g. en or en-GB",
            )
        )
    if problems:
        raise ContentError(problems)
    lines = {str(key): doc.line(str(key)) for key in data}
    return Config(root=root, extra=MappingProxyType(extra), lines=MappingProxyType(lines), **values)


def _fields(
    value: object, rel: str, line: int, line_of: Callable[..., int], problems: list[Problem]
) -> dict[str, str] | None:
    """`fields:`, the site's own front-matter keys and their types (see digest.fields)."""
    example = "expected e.g. `fields: {jurisdiction: string, effective: date}`"
    if not isinstance(value, dict):
        problems.append(Problem(rel, line, f"'fields' must be a mapping of names to types; {example}"))
        return None
    fields: dict[str, str] = {}
    for name, kind in value.items():
        at = line_of("fields", str(name))
        if not isinstance(name, str) or not _FIELD_NAME.match(name) or name in KNOWN_KEYS:
            why = "is a front-matter key already" if name in KNOWN_KEYS else "is not a name of a-z, 0-9 and '_'"
            problems.append(Problem(rel, at, f"field {str(name)!r} {why}; {example}"))
        elif kind not in FIELD_TYPES:
            message = f"field '{name}' has the unknown type {str(kind)!r}; expected one of {', '.join(FIELD_TYPES)}"
            close = difflib.get_close_matches(str(kind).lower(), FIELD_TYPES, n=1, cutoff=0.6)
            problems.append(Problem(rel, at, message + (f"; did you mean '{close[0]}'?" if close else "")))
        else:
            fields[name] = str(kind)
    return fields


EXAMPLE_HOSTS = ("example.org", "example.com", "example.net")


def config_warnings(config: Config) -> list[Problem]:
    """What a site should fix before it is published: the example address `digest init`
    writes, and unknown keys that look like known ones."""
    problems = []
    host = (urlsplit(config.base_url).hostname or "").lower()
    if host in EXAMPLE_HOSTS or host.endswith(tuple("." + h for h in EXAMPLE_HOSTS)):
        problems.append(
            Problem(
                CONFIG_FILE,
                config.lines.get("base_url", 0),
                f"'base_url' is the example address {config.base_url}; "
                "expected the address the site will have (or --base-url)",
                "warning",
            )
        )
    for key in config.extra:
        close = difflib.get_close_matches(key, KEYS, n=1, cutoff=0.75)
        if close:
            problems.append(
                Problem(
                    CONFIG_FILE, config.lines.get(key, 0), f"unknown key '{key}'; did you mean '{close[0]}'?", "warning"
                )
            )
    return problems


def _synonyms(
    value: dict[Any, Any], rel: str, line: Callable[..., int], problems: list[Problem]
) -> tuple[tuple[str, ...], ...] | None:
    """`search: {synonyms: [[licence, license], ...]}`: groups of two or more words or phrases."""
    expected = "expected e.g. `search: {synonyms: [[licence, license], [AI Act, Artificial Intelligence Act]]}`"
    for key in value:
        if key != "synonyms":
            problems.append(Problem(rel, line("search", key), f"unknown key 'search.{key}'; {expected}"))
            return None
    groups = value.get("synonyms") or []
    if not isinstance(groups, list):
        problems.append(Problem(rel, line("search", "synonyms"), f"'search.synonyms' must be a list; {expected}"))
        return None
    found = []
    for index, group in enumerate(groups):
        words = [str(w).strip() for w in group] if isinstance(group, list) else []
        if len(words) < 2 or not all(words) or not all(isinstance(w, (str, int, float)) for w in group):
            problems.append(
                Problem(
                    rel,
                    line("search", "synonyms", index),
                    f"each group of 'search.synonyms' must list two or more words, got {group!r}; {expected}",
                )
            )
            return None
        found.append(tuple(words))
    return tuple(found)
