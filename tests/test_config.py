"""digest.yaml: every key defaulted, bad values reported with their line."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.content.config import load_config
from digest.core.errors import ContentError


def test_no_config_file_means_defaults(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    assert config.per_page == 10 and config.language == "en" and config.base_path == "/"


def test_values_and_sub_path(tmp_path: Path) -> None:
    (tmp_path / "digest.yaml").write_text(
        "title: T\nbase_url: https://org.github.io/digest\nper_page: 5\ntimezone: Europe/Paris\nlogo: x.png\n"
    )
    config = load_config(tmp_path)
    assert (config.title, config.per_page, config.timezone) == ("T", 5, "Europe/Paris")
    assert config.base_url == "https://org.github.io/digest/"
    assert config.base_path == "/digest/"
    assert config.extra == {"logo": "x.png"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "title: T\nper_page: 0\n",
            "digest.yaml:2: 'per_page' must be a whole number from 1 to 1000, got 0; expected e.g. `per_page: 10`",
        ),
        (
            "base_url: example.org\n",
            "digest.yaml:1: 'base_url' must be an absolute http(s) URL, got 'example.org'; expected e.g. https://example.org/digest/",
        ),
        (
            "timezone: Mars/Olympus\n",
            "digest.yaml:1: unknown timezone 'Mars/Olympus'; expected an IANA name such as UTC or Europe/Brussels",
        ),
        ("search: maybe\n", "digest.yaml:1: 'search' must be true or false, got 'maybe'; expected `search: true`"),
        (
            "- a\n- b\n",
            "digest.yaml:1: the configuration must be `key: value` lines, got a list; expected e.g. `title: ...`",
        ),
    ],
)
def test_bad_values(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "digest.yaml").write_text(text)
    with pytest.raises(ContentError) as info:
        load_config(tmp_path)
    assert str(info.value.problems[0]) == expected
