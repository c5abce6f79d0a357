"""Plain text as importers meet it: normalised characters, sentences, plain summaries and
Markdown that is safe to put in a brief.

Pure functions on strings; the import stage's extractors (`scraped`, `htmlpage`, `extract`)
share them.
"""

from __future__ import annotations

import re

from digest.content.markup import is_safe_url

# Characters that YAML refuses (PyYAML's reader) or that only hide text: removed everywhere.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\u200b-\u200d\u2060\ufeff\ufffe\uffff\ud800-\udfff\u2028\u2029]"
)
_SPACES = re.compile("[\u0085\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\t]")
_MATCH_FOLD = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " "})

_ABBREVIATION = re.compile(
    r"(?:\b(?:[A-Z]\.)+|\b(?:Mr|Mrs|Ms|Dr|Prof|St|Jr|Sr|No|vs|etc|e\.g|i\.e|Inc|Ltd|Co|Corp|Gov|Gen|Sen|Rep|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.)$"
)
_SENTENCE_END = re.compile(r"[.!?…](?:[\"'”’)\]]*)\s+(?=[\"'“‘(\[]?[A-Z0-9])")

# Markdown hygiene: tags, script bodies, unsafe links, event-handler and script-scheme text.
_DANGEROUS_BLOCK = re.compile(
    r"\\?<(script|style|iframe|object|embed|noscript|template|svg|math)\b[^<>]*\\?>.*?\\?</\1\s*\\?>",
    re.IGNORECASE | re.DOTALL,
)
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^\s<>]+)>", re.IGNORECASE)
_TAG = re.compile(
    r"\\?</?[A-Za-z!?][^<>]*\\?>"
    r"|\\?</?(?:script|style|iframe|object|embed|img|svg|math|a|link|meta|base|form|input|body|html|frame|video|audio|source)\b",
    re.IGNORECASE,
)
_LINK = re.compile(
    r"(!?)\[((?:[^\[\]\\]|\\.)*)\]\(\s*<?([^()<>\s]*(?:\([^()\s]*\)[^()<>\s]*)*)>?(?:\s+\"[^\"]*\")?\s*\)"
)
_REF_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s*(\S+).*$", re.MULTILINE)
_SCRIPT_SCHEME = re.compile(r"(?:java|vb|live)script\s*:(?=\S)|\bdata:[a-z]+/[a-z0-9.+-]+[;,]", re.IGNORECASE)
_EVENT_HANDLER = re.compile(r"\bon[a-z]{3,}\s*=", re.IGNORECASE)

_EMPHASIS = re.compile(r"(?<!\\)(\*\*|__|\*|_|~~)(?=\S)(.+?)(?<=\S)(?<!\\)\1")  # `\_` is no mark: `max\_tokens\_out`
_CODE = re.compile(r"`+([^`]*)`+")
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def normalize(text: str) -> str:
    """Unicode spaces to spaces, invisible and control characters removed, '\\n' newlines."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _SPACES.sub(" ", text)
    return _INVISIBLE.sub("", text)


def for_matching(text: str) -> str:
    """The same text with straight quotes, character for character (offsets are kept)."""
    return text.translate(_MATCH_FOLD)


def one_line(text: str) -> str:
    return " ".join(text.split())


def sentences(text: str) -> list[str]:
    """Split a paragraph into sentences; initials (U.S.) and common abbreviations do not end one."""
    text = one_line(text)
    if not text:
        return []
    found: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        head = text[start : match.start() + 1]
        if _ABBREVIATION.search(head):
            continue
        found.append(text[start : match.end()].strip())
        start = match.end()
    tail = text[start:].strip()
    if tail:
        found.append(tail)
    return found


def is_sentence_like(text: str) -> bool:
    """Prose rather than a label, number or menu item: three words with letters and a full
    stop, or six words."""
    words = [w for w in text.split() if any(ch.isalpha() for ch in w)]
    return len(words) >= 6 or (len(words) >= 3 and ends_sentence(text))


def ends_sentence(text: str) -> bool:
    return text.rstrip().rstrip("\"'”’)]").endswith((".", "!", "?", "…"))


def shorten(text: str, limit: int) -> str:
    """`text` cut at a word boundary to at most `limit` characters, with an ellipsis if cut."""
    text = one_line(text)
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] if " " in text[: limit - 1] else text[: limit - 1]
    return cut.rstrip(" ,;:-–—") + "…"


def plain(markdown: str) -> str:
    """Inline Markdown to plain text: links to their text, emphasis and code marks and escapes removed."""
    text = _LINK.sub(lambda m: m.group(2), markdown)
    text = _CODE.sub(lambda m: m.group(1), text)
    for _ in range(3):
        text = _EMPHASIS.sub(lambda m: m.group(2), text)
    return one_line(_ESCAPE.sub(r"\1", text))


def escape_inline(text: str) -> str:
    """Plain text for use inside Markdown: characters that would mark it up are escaped."""
    return re.sub(r"([\\`*_\[\]])", r"\\\1", text)


def escape_block_start(line: str) -> str:
    """A plain paragraph line that must not turn into a heading, quote, list or rule."""
    if re.match(r"\s*(?:#{1,6}(?:\s|$)|>|[-+*=_]{3,}\s*$|\d{1,9}[.)](?:\s|$)|[-+*](?:\s|$))", line):
        stripped = line.lstrip()
        match = re.match(r"\d{1,9}(?=[.)])", stripped)
        return f"{match.group()}\\{stripped[match.end() :]}" if match else "\\" + stripped
    return line


def sanitize(markdown: str) -> str:
    """Markdown with no HTML tags, script/style/iframe contents, event handlers or unsafe link targets.

    The site's renderer escapes raw HTML anyway; this keeps the brief's own text clean. Runs
    until nothing changes, so removing one tag cannot join the pieces of another."""
    for _ in range(10):
        cleaned = _sanitize_once(markdown)
        if cleaned == markdown:
            break
        markdown = cleaned
    return markdown


def _sanitize_once(markdown: str) -> str:
    text = _DANGEROUS_BLOCK.sub("", markdown)
    autolinks: list[str] = []

    def keep_autolink(match: re.Match[str]) -> str:
        autolinks.append(match.group(1))
        return f"\x00{len(autolinks) - 1}\x00"

    text = _AUTOLINK.sub(keep_autolink, text)
    text = _TAG.sub("", text)
    text = _LINK.sub(_safe_link, text)
    text = _REF_DEFINITION.sub(lambda m: m.group(0) if is_safe_url(m.group(1).strip("<>")) else "", text)
    text = _SCRIPT_SCHEME.sub("", text)
    text = _EVENT_HANDLER.sub("", text)
    text = re.sub("\x00(\\d+)\x00", lambda m: f"<{autolinks[int(m.group(1))]}>", text).replace("\x00", "")
    return text if text == markdown else re.sub(r"(?<=\S)  +(?=\S)", " ", text)


def _safe_link(match: re.Match[str]) -> str:
    bang, label, url = match.groups()
    if url and is_safe_url(url) and not _SCRIPT_SCHEME.match(url.strip()):
        return match.group(0)
    return label if not bang else ""


_BOILERPLATE = re.compile(
    r"^\W*(?:"
    r"skip\s+to\s+(?:the\s+)?(?:main\s+)?(?:content|navigation|search|footer)"
    r"|jump\s+to\s+(?:content|navigation)"
    r"|(?:share|tweet|email|print|save)(?:\s+(?:this|the))?(?:\s+(?:article|story|post|page|link))?(?:\s+(?:on|via|to)\s+[\w .]+)?"
    r"|(?:facebook|twitter|x|linkedin|whatsapp|reddit|telegram|e-?mail|copy\s+link|print|pinterest)(?:\s*[|·•/,]\s*(?:facebook|twitter|x|linkedin|whatsapp|reddit|telegram|e-?mail|copy\s+link|print|pinterest))*"
    r"|(?:subscribe|sign\s+up|log\s*in|sign\s+in)\b.{0,100}"
    r"|follow\s+us\b.{0,80}|(?:click|tap)\s+here\b.{0,100}|read\s+more\b.{0,80}|read\s+also\b.{0,120}"
    r"|(?:related|recommended|more)\s+(?:articles?|stories|posts|news|reading)\b.{0,40}|advertisement|sponsored(?:\s+content)?"
    r"|listen\s+to\s+this\s+article.{0,40}|loading\W*|accept(?:\s+all)?(?:\s+cookies)?|reject\s+all|manage\s+(?:cookies|preferences|consent)"
    r"|(?:©|\(c\)|copyright\s+(?:©|\(c\)|\d{4})).{0,120}|all\s+rights\s+reserved.{0,60}|back\s+to\s+top|menu|home|search|close"
    r")\W*$",
    re.IGNORECASE,
)
_AI_NOTICE = re.compile(
    r"\b(?:ai[- ]summari[sz]ed|summari[sz]ed\s+(?:by|with|using)\s+(?:ai|artificial\s+intelligence)"
    r"|ai[- ]generated\s+summary|summary\s+(?:generated|written|produced)\s+(?:by|with)\s+(?:ai|artificial\s+intelligence))\b",
    re.IGNORECASE,
)
_COOKIE = re.compile(
    r"\bcookies?\b.*\b(?:we\s+use|use\s+of|accept|consent|privacy|settings|preferences|agree)\b|\b(?:we\s+use|accept|consent\s+to)\b.*\bcookies?\b",
    re.IGNORECASE,
)


def is_boilerplate(line: str) -> bool:
    """Page furniture that scraped text carries along: skip links, share and subscribe prompts,
    "AI summarized text" notices, cookie banners, copyright lines."""
    text = one_line(line)
    if not text:
        return False
    if len(text) <= 200 and (_BOILERPLATE.match(text) or _AI_NOTICE.search(text)):
        return True
    return len(text) <= 400 and bool(_COOKIE.search(text))
