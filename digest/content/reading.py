"""Reading time: how long a brief takes to read, from its text (pure)."""

from __future__ import annotations

import html
import math
import re

WORDS_PER_MINUTE = 220
# Chinese and Japanese are written without spaces between words: they are counted by character.
CJK_CHARS_PER_MINUTE = 500
_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")
_WORD = re.compile(r"[^\W_]+(?:['’.\-][^\W_]+)*")
_TAG = re.compile(r"<[^>]*>")


def plain_text(markup: str) -> str:
    """The text of an HTML fragment, tags dropped and entities decoded."""
    return html.unescape(_TAG.sub(" ", markup))


def text_counts(*texts: str) -> tuple[int, int]:
    """Words and CJK characters in plain `texts` (see reading_minutes)."""
    words = cjk = 0
    for text in texts:
        if text.isascii():  # (no CJK character to count or take out: two passes fewer)
            words += len(_WORD.findall(text))
            continue
        cjk += len(_CJK.findall(text))
        words += len(_WORD.findall(_CJK.sub(" ", text)))
    return words, cjk


def minutes_for(words: int, cjk: int) -> int:
    """Minutes to read `words` words and `cjk` CJK characters: ~220 words a minute, ~500 CJK
    characters a minute, at least 1."""
    return max(1, math.ceil(words / WORDS_PER_MINUTE + cjk / CJK_CHARS_PER_MINUTE))


def reading_minutes(*texts: str) -> int:
    """Minutes to read plain `texts`."""
    return minutes_for(*text_counts(*texts))
