"""Fetching a page or a feed over HTTP for `digest import URL` and `--feed URL`: with a real
HTTP client (httpx), a timeout, a size cap, at most 5 redirects and a content-type check.
Every failure is a `FetchError` whose message is one line naming the URL."""

from __future__ import annotations

from dataclasses import dataclass

from digest import __version__
from digest.content.sourcefile import MAX_BYTES

TIMEOUT = 20.0  # seconds to connect, and between two reads
MAX_REDIRECTS = 5
HTML_TYPES = ("text/html", "application/xhtml+xml")
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/xml", "text/xml", "application/rdf+xml")


class FetchError(Exception):
    """A URL that gave no usable document; the message says why, in one line."""


@dataclass(frozen=True)
class Fetched:
    url: str  # where the document was found, after redirects
    data: bytes
    content_type: str


def is_url(text: str) -> bool:
    return text.lower().startswith(("http://", "https://"))


def fetch(
    url: str, accept: tuple[str, ...] = HTML_TYPES, timeout: float = TIMEOUT, what: str = "an HTML page"
) -> Fetched:
    """The document at `url`; FetchError if it cannot be had or is not of a type in `accept`."""
    import httpx  # imported here: only `digest import URL` needs it

    headers = {"User-Agent": f"digest/{__version__} (digest import)", "Accept": ", ".join(accept) + ", */*;q=0.1"}
    try:
        with (
            httpx.Client(
                follow_redirects=True, max_redirects=MAX_REDIRECTS, timeout=httpx.Timeout(timeout), headers=headers
            ) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code >= 400:
                reason = f" {response.reason_phrase}" if response.reason_phrase else ""
                raise FetchError(f"{url}: the server answered {response.status_code}{reason}; expected {what}")
            content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type not in accept:
                sent = content_type or "no content type"
                raise FetchError(f"{url}: the server sent {sent}; expected {what} ({accept[0]})")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > MAX_BYTES:
                raise FetchError(_too_large(url, int(declared)))
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_BYTES:
                    raise FetchError(_too_large(url, MAX_BYTES, more=True))
                chunks.append(chunk)
            return Fetched(str(response.url), b"".join(chunks), content_type)
    except httpx.TooManyRedirects:
        raise FetchError(
            f"{url}: more than {MAX_REDIRECTS} redirects; expected {what} within {MAX_REDIRECTS}"
        ) from None
    except httpx.TimeoutException:
        raise FetchError(
            f"{url}: no answer within {timeout:g} s; expected a server that answers (see --timeout)"
        ) from None
    except httpx.InvalidURL as exc:
        raise FetchError(f"{url}: not a valid URL ({exc}); expected an http:// or https:// address") from None
    except httpx.HTTPError as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise FetchError(
            f"{url}: cannot be fetched ({detail}); expected a reachable http:// or https:// address"
        ) from None


def _too_large(url: str, size: int, more: bool = False) -> str:
    return f"{url}: the document is {'more than ' if more else ''}{size:,} bytes; expected at most {MAX_BYTES:,} bytes"
