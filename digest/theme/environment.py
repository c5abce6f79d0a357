"""The theme: Jinja environment over the site's `templates/` and the default theme, and theme assets."""

from __future__ import annotations

import functools
import json
import os
import shutil
import types
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NoReturn

import jinja2
import markupsafe

from digest.content.sourcefile import link_problem
from digest.core.errors import ContentError, Problem
from digest.core.files import replace_file
from digest.core.version import code_version
from digest.site.arrange import Tag
from digest.theme.folders import theme_dirs

THEME_ASSETS = "static"


class _CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates kept for the life of the process, keyed by name and source, so a
    long-running process (the dev server) compiles a template again only when it changed."""

    def __init__(self) -> None:
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self.store.get(bucket.key + bucket.checksum)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.store[bucket.key + bucket.checksum] = bucket.bytecode_to_string()


_COMPILED = _CompiledTemplates()


class _KeptTemplates(jinja2.BytecodeCache):
    """The process's compiled templates, backed by files in the build cache, so that a new
    `digest build` does not compile the theme again (a large part of a small incremental build).
    One file per template, holding the checksum of the source it was compiled from (Jinja
    checks it, and its own format and Python's version, on load: a stale file is compiled
    again and replaced). The folder is named after the code that compiles (digest's own,
    whose Environment options shape the code, and Jinja's); folders of other code are removed."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        _COMPILED.load_bytecode(bucket)
        if bucket.code is not None:
            return
        try:
            with open(self.folder / bucket.key, "rb") as handle:
                bucket.load_bytecode(handle)
        except Exception:  # noqa: BLE001 - missing or damaged (pickle, marshal): compiled again
            bucket.reset()
        if bucket.code is not None:
            _COMPILED.dump_bytecode(bucket)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        _COMPILED.dump_bytecode(bucket)
        try:
            if not self.folder.is_dir():
                _remove_siblings(self.folder)
                self.folder.mkdir(parents=True, exist_ok=True)
            replace_file(self.folder / bucket.key, bucket.write_bytecode)
        except OSError:
            pass  # (a cache: compiled again next time)


def _remove_siblings(folder: Path) -> None:
    if folder.parent.is_dir():
        for other in folder.parent.iterdir():
            if other.name != folder.name:
                shutil.rmtree(other, ignore_errors=True)


_PLAIN: dict[Callable[..., Any], bool] = {}  # function -> takes no context or environment (see _Context)


class _Context(jinja2.runtime.Context):
    """Jinja's context, calling plain functions and methods (the renderer's `url`, `date`...)
    without asking each time whether they want the context passed: a template makes dozens of
    calls per page, and Jinja's checks cost as much as many of the calls themselves. The
    answer is kept per function; anything else (macros, callable objects) goes Jinja's way."""

    def call(__self, __obj: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        kind = type(__obj)
        function = __obj.__func__ if kind is types.MethodType else __obj if kind is types.FunctionType else None  # type: ignore[attr-defined]
        if function is None:
            return super().call(__obj, *args, **kwargs)
        plain = _PLAIN.get(function)
        if plain is None:
            if len(_PLAIN) > 4096:
                _PLAIN.clear()
            plain = _PLAIN[function] = not hasattr(function, "jinja_pass_arg")
        if not plain:
            return super().call(__obj, *args, **kwargs)
        if kwargs:
            kwargs.pop("_block_vars", None)
            kwargs.pop("_loop_vars", None)
        try:
            return __obj(*args, **kwargs)
        except StopIteration:
            return __self.environment.undefined(
                "value was undefined because a callable raised a StopIteration exception"
            )


try:
    from markupsafe._speedups import _escape_inner
except ImportError:  # pragma: no cover - markupsafe without its C speedups

    def _escape_inner(text: str, /) -> str:
        return str(markupsafe.escape(text))


def _escape(value: Any, /) -> Any:
    """Jinja's `escape` for what a template prints (`{{ ... }}` with autoescaping on), giving a
    plain string for a plain string instead of a `Markup`: Jinja joins the printed pieces, and
    wraps what it keeps (macros, blocks set to a variable) in `Markup` itself. A brief page
    prints dozens of values, and a `Markup` for each would be a real part of its rendering."""
    kind = type(value)
    if kind is str:
        return _escape_inner(value)
    if kind is markupsafe.Markup:
        return value
    if kind is int:
        return str(value)
    return markupsafe.escape(value)


class _Template(jinja2.Template):
    """Jinja's template, with three per-render costs taken out (the output is the same): its
    compiled code prints through `_escape`, the template's globals (a ChainMap over the
    environment's) are flattened into the new context with dict updates, and `{% from ...
    import %}` checks for globals that the imported module lacks with a set operation, not a
    Python loop over the ChainMap."""

    @classmethod
    def from_code(
        cls,
        environment: jinja2.Environment,
        code: types.CodeType,
        globals: Any,
        uptodate: Callable[[], bool] | None = None,
    ) -> jinja2.Template:
        namespace: dict[str, Any] = {"environment": environment, "__file__": code.co_filename}
        exec(code, namespace)  # (Jinja's own compiled template, as in Template.from_code)
        namespace["escape"] = _escape  # (the name the compiled code prints through)
        template = cls._from_namespace(environment, namespace, globals)
        template._uptodate = uptodate
        return template

    def new_context(
        self,
        vars: dict[str, Any] | None = None,
        shared: bool = False,
        locals: Mapping[str, Any] | None = None,
    ) -> jinja2.runtime.Context:
        maps = getattr(self.globals, "maps", None)
        if shared or locals or maps is None:
            return super().new_context(vars, shared, locals)
        parent: dict[str, Any] = {}
        for mapping in reversed(maps):
            parent.update(mapping)
        keys = set(parent)
        if vars:
            parent.update(vars)
        context = self.environment.context_class(self.environment, parent, self.name, self.blocks)
        context.globals_keys = keys
        return context

    def _get_default_module(self, ctx: jinja2.runtime.Context | None = None) -> Any:
        maps = getattr(self.globals, "maps", None)
        if ctx is None or maps is None or self.environment.is_async:
            return super()._get_default_module(ctx)
        keys = ctx.globals_keys.difference(*maps)
        if keys:
            return self.make_module({k: ctx.parent[k] for k in keys})
        if self._module is None:
            self._module = self.make_module()
        return self._module


_SORTED_JSON = json.JSONEncoder(sort_keys=True)


def _dumps(value: Any, **options: Any) -> str:
    """`json.dumps` for `tojson`, with one encoder kept for Jinja's default options."""
    if options == {"sort_keys": True}:
        return _SORTED_JSON.encode(value)
    return json.dumps(value, **options)


class CountedBriefs:
    """What a template gets of `tag.briefs`: their number, never the briefs.

    A page's fingerprint holds a tag's fields and its number of briefs, not the briefs themselves:
    a tag page shows its own share of them (its `briefs`, in its context), and the tag index
    shows counts. Reading a tag's briefs would make a page that no edit renders again, so it is
    a template error naming the page instead."""

    def __init__(self, slug: str, count: int) -> None:
        self.slug, self.count = slug, count

    def __len__(self) -> int:
        return self.count

    def _refuse(self, *_: object) -> NoReturn:
        raise jinja2.TemplateRuntimeError(
            f"the briefs of tag '{self.slug}' are counted, not listed, outside their page; expected"
            " `tag.briefs | length`, or the page's own `briefs` on a tag page"
        )

    __iter__ = __getitem__ = __contains__ = _refuse


class _Environment(jinja2.Environment):
    """Jinja's environment, but a tag's briefs are counted, not read (see CountedBriefs)."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        # (every `x.y` of every template comes here: Jinja's own first step inline, the rest
        # of its lookup only where that fails)
        try:
            value = getattr(obj, attribute)
        except AttributeError:
            return super().getattr(obj, attribute)
        if attribute == "briefs" and type(obj) is Tag:
            return CountedBriefs(obj.slug, len(value))
        return value

    def getitem(self, obj: Any, argument: Any) -> Any:
        value = super().getitem(obj, argument)
        return CountedBriefs(obj.slug, len(value)) if argument == "briefs" and type(obj) is Tag else value


def make_environment(root: Path, compiled: Path | None = None) -> jinja2.Environment:
    """A fresh Jinja environment for one build (no state survives from an earlier build:
    imported macro modules capture the globals of the build that imported them first), with
    compiled templates reused from earlier builds in this process, and from the files in
    `compiled` (a folder of the build cache) if given."""
    loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(d)) for d in theme_dirs(root)])
    env = _Environment(
        bytecode_cache=_COMPILED if compiled is None else _KeptTemplates(compiled / _code_name()),
        loader=loader,
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # one environment per build: its templates do not change under it
    )
    env.context_class = _Context
    if hasattr(jinja2.Template, "_from_namespace"):  # (the Jinja 3.1 internals _Template builds on)
        env.template_class = _Template
    env.policies["json.dumps_function"] = _dumps
    return env


@functools.cache
def _code_name() -> str:
    return f"jinja-{jinja2.__version__}-{code_version()[:16]}"


def template_path(root: Path, name: str) -> str:
    """Where template `name` comes from, for error messages (relative to the site root if inside it)."""
    for d in theme_dirs(root):
        candidate = d / name
        if candidate.is_file():
            try:
                return candidate.resolve().relative_to(root.resolve()).as_posix()
            except ValueError:
                return candidate.as_posix()
    return f"templates/{name}"


def theme_assets(root: Path) -> dict[str, bytes]:
    """Static files of the theme (`templates/static/**`), the site's overriding the default's,
    plus the site's own `static/` folder copied to the output root. Hidden files and folders
    are never published. A symbolic link in the site's folders (or one of the folders itself)
    is followed only to a file or folder of the site that is not hidden: one that leads out of
    the site or to `.env`, `.git/...` is an error naming the link."""
    assets: dict[str, bytes] = {}
    problems: list[Problem] = []
    site_theme = (root / "templates").resolve() if (root / "templates").is_dir() else None
    for d in reversed(theme_dirs(root)):
        base = d / THEME_ASSETS
        own = d.resolve() == site_theme
        folder = root / "templates" / THEME_ASSETS if own else base
        for rel, path in _static_files(root if own else d, folder, problems):
            assets[f"{THEME_ASSETS}/{rel}"] = Path(path).read_bytes()
    for rel, path in _static_files(root, root / "static", problems):
        assets[rel] = Path(path).read_bytes()
    if problems:
        raise ContentError(sorted(problems, key=lambda p: p.path))
    return assets


def _static_files(root: Path, folder: Path, problems: list[Problem]) -> list[tuple[str, str]]:
    """The files under `folder` of the site `root` to publish, as (path under `folder`, path),
    in name order. Links are checked (see `theme_assets`); each real folder is searched once."""
    base = os.path.realpath(root)
    found: list[tuple[str, str]] = []

    def name(path: str) -> str:
        return os.path.relpath(path, root).replace(os.sep, "/")

    top = str(folder)
    rel_top = os.path.relpath(top, root)
    current = str(root)
    for part in rel_top.split(os.sep):  # the folder, or one of the folders above it, may be a link
        current = os.path.join(current, part)
        if os.path.islink(current):
            problem = link_problem(base, os.path.realpath(current))
            if problem is not None:
                problems.append(Problem(name(current), 0, problem))
                return []
    if not os.path.isdir(top):
        return []
    seen = {os.path.realpath(top)}
    stack = [(top, "")]
    while stack:
        directory, prefix = stack.pop()
        with os.scandir(directory) as entries:
            listed = sorted(entries, key=lambda e: e.name)
        for entry in listed:
            if entry.name.startswith("."):
                continue
            if entry.is_symlink():
                real = os.path.realpath(entry.path)
                problem = link_problem(base, real)
                if problem is not None:
                    problems.append(Problem(name(entry.path), 0, problem))
                    continue
            if entry.is_dir():
                real = os.path.realpath(entry.path)
                if real not in seen:
                    seen.add(real)
                    stack.append((entry.path, f"{prefix}{entry.name}/"))
            elif entry.is_file():
                found.append((prefix + entry.name, entry.path))
    return sorted(found)
