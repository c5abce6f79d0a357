"""The dev server's HTTP side: static files from the last complete build, live-reload events.

Only used by `digest serve`. It serves files read under the build's commit lock (so never a
half-updated site), injects the live-reload script into HTML responses (files on disk never
contain it), and keeps Server-Sent Events connections to the open pages.
"""

from __future__ import annotations

import ipaddress
import json
import mimetypes
import os
import posixpath
import re
import threading
import uuid
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

PREFIX = "/__digest__/"
SCRIPT = (Path(__file__).parent / "livereload.js").read_bytes()
MAX_CLIENTS = 512
HEARTBEAT = 10.0
HISTORY = 200
TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".xml": "application/xml; charset=utf-8", ".json": "application/json; charset=utf-8", ".txt": "text/plain; charset=utf-8",
         ".svg": "image/svg+xml", ".webmanifest": "application/manifest+json", ".ico": "image/x-icon"}  # fmt: skip


@dataclass
class BuildEvent:
    epoch: int
    changed: tuple[str, ...]
    errors: tuple[str, ...] = ()
    follow: str | None = None


@dataclass
class Hub:
    """The state the open pages follow: the current build epoch, its errors, recent changes."""

    server_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    epoch: int = 0
    errors: tuple[str, ...] = ()
    history: deque[BuildEvent] = field(default_factory=lambda: deque(maxlen=HISTORY))
    clients: int = 0
    condition: threading.Condition = field(default_factory=threading.Condition)
    closed: bool = False

    def publish(self, changed: Iterable[str], errors: Iterable[str] = (), follow: str | None = None) -> BuildEvent:
        with self.condition:
            errors = tuple(errors)
            if errors:
                event = BuildEvent(self.epoch, (), errors)
            else:
                self.epoch += 1
                event = BuildEvent(self.epoch, tuple(sorted(changed)), (), follow)
                self.history.append(event)
            self.errors = errors
            self.condition.notify_all()
            return event

    def hello(self, server_id: str, epoch: int) -> dict[str, object]:
        """What a page that was served at `epoch` (by server `server_id`) must do now."""
        with self.condition:
            if server_id != self.server_id or epoch > self.epoch:
                # another server (a restart) or another session: the page may be stale
                return {"type": "hello", "epoch": self.epoch, "errors": list(self.errors), "reload": True}
            return self.since(epoch) | {"type": "hello"}

    def since(self, epoch: int) -> dict[str, object]:
        """One message for everything that happened after `epoch` (call with the condition held)."""
        missed = [e for e in self.history if e.epoch > epoch]
        follow = next((e.follow for e in reversed(missed) if e.follow), None)
        message: dict[str, object] = {
            "type": "build",
            "epoch": self.epoch,
            "errors": list(self.errors),
            "follow": follow,
        }
        message["changed"] = sorted({url for e in missed for url in e.changed})
        if len(missed) < self.epoch - epoch:
            message["reload"] = True
        return message

    def close(self) -> None:
        with self.condition:
            self.closed = True
            self.condition.notify_all()


class DevServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(
        self, address: tuple[str, int], root: Path, hub: Hub, lock: threading.Lock, allowed_hosts: Iterable[str] = ()
    ) -> None:
        self.site_root = root
        self.hub = hub
        self.lock = lock
        super().__init__(address, Handler)
        names = {name for name in (host_name(h) for h in allowed_hosts) if name}
        bound = host_name(address[0]) or host_name(f"[{address[0]}]")
        if bound and bound not in ("0.0.0.0", "::"):  # the address the writer chose names this server too
            names.add(bound)
        self.allowed_hosts = frozenset(LOOPBACK_NAMES | names)

    @property
    def loopback(self) -> bool:
        try:
            return ipaddress.ip_address(self.server_address[0]).is_loopback
        except ValueError:
            return self.server_address[0] == "localhost"


class Handler(BaseHTTPRequestHandler):
    server: DevServer
    protocol_version = "HTTP/1.1"
    timeout = 30  # idle connections (slow clients) are closed, so they cannot hold a thread for ever

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_HEAD(self) -> None:
        self.respond(head=True)

    def do_GET(self) -> None:
        self.respond(head=False)

    def respond(self, head: bool) -> None:
        if self.headers.get_all("Transfer-Encoding") or self.headers.get_all("Content-Length", ["0"]) != ["0"]:
            # Never read: whatever follows the headers would be taken for the next request.
            self.refuse(HTTPStatus.BAD_REQUEST, f"Bad request: a {self.command} request carries no body\n", head)
            return
        if len(self.headers.get_all("Host") or []) > 1:
            self.refuse(HTTPStatus.BAD_REQUEST, "Bad request: more than one Host header; expected one\n", head)
            return
        if not self.host_allowed():
            self.send_text(
                HTTPStatus.FORBIDDEN,
                "Forbidden: unexpected Host header (the dev server answers only to localhost)\n",
                head,
            )
            return
        path = urlsplit(self.path).path
        if path == PREFIX + "livereload.js":
            self.send_bytes(HTTPStatus.OK, SCRIPT, TYPES[".js"], head)
        elif path == PREFIX + "events":
            self.events()
        else:
            self.static(path, head)

    def host_allowed(self) -> bool:
        """Whether the request names this server: a loopback name, the address it was bound to or a
        name of --allowed-host, wherever it listens (a web page that rebinds its own name to this
        machine sends its own name)."""
        hosts = [self.headers.get("Host") or ""]
        if not self.path.startswith("/"):  # an absolute URL: its host is the one that counts (RFC 9112)
            hosts.append(urlsplit(self.path).netloc)
        return all(host_name(host) in self.server.allowed_hosts for host in hosts)

    def refuse(self, status: HTTPStatus, text: str, head: bool) -> None:
        """Answer and hang up: the rest of what the client sent is never read."""
        self.close_connection = True
        self.send_bytes(status, text.encode(), "text/plain; charset=utf-8", head, close=True)

    def static(self, raw_path: str, head: bool) -> None:
        relative = resolve(raw_path)
        if relative is None:
            self.send_text(HTTPStatus.BAD_REQUEST, "Bad request: the path leaves the site\n", head)
            return
        root = self.server.site_root
        with self.server.lock:
            target = root / relative if relative else root
            if target.is_dir():
                if not raw_path.endswith("/"):
                    self.send_response(HTTPStatus.MOVED_PERMANENTLY)
                    self.send_header("Location", quote(f"/{relative}/"))  # never `//host/`
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                target = target / "index.html"
            data = read_inside(root, target)
            status = HTTPStatus.OK
            if data is None:
                status = HTTPStatus.NOT_FOUND
                target = root / "404.html"
                data = read_inside(root, target) or b"<!DOCTYPE html><title>Not found</title><h1>Not found</h1>"
            epoch = self.server.hub.epoch
        kind = TYPES.get(target.suffix) or mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if kind.startswith("text/html"):
            data = inject(data, self.server.hub.server_id, epoch)
        self.send_bytes(status, data, kind, head)

    def events(self) -> None:
        hub = self.server.hub
        query = parse_qs(urlsplit(self.path).query)
        try:
            epoch = int(query.get("epoch", ["0"])[0])
        except ValueError:
            epoch = 0
        with hub.condition:
            if hub.clients >= MAX_CLIENTS:
                self.send_text(HTTPStatus.SERVICE_UNAVAILABLE, "too many live-reload connections\n", False)
                return
            hub.clients += 1
        try:
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            self.write_event(hub.hello(query.get("server", [""])[0], epoch) | {"retry": 500})
            seen_epoch, seen_errors = hub.epoch, hub.errors
            while True:
                with hub.condition:
                    hub.condition.wait_for(
                        lambda e=seen_epoch, r=seen_errors: hub.closed or hub.epoch != e or hub.errors != r,
                        timeout=HEARTBEAT,
                    )
                    if hub.closed:
                        return
                    message = hub.since(seen_epoch) if hub.epoch != seen_epoch or hub.errors != seen_errors else None
                    seen_epoch, seen_errors = hub.epoch, hub.errors
                if message is None:
                    self.wfile.write(b": keep-alive\n\n")
                    self.wfile.flush()
                else:
                    self.write_event(message)
        except OSError:
            return  # the page went away
        finally:
            with hub.condition:
                hub.clients -= 1

    def write_event(self, message: dict[str, object]) -> None:
        retry = message.pop("retry", None)
        prefix = f"retry: {retry}\n" if retry else ""
        self.wfile.write(f"{prefix}data: {json.dumps(message)}\n\n".encode())
        self.wfile.flush()

    def send_bytes(self, status: int, data: bytes, kind: str, head: bool, close: bool = False) -> None:
        self.send_response(status)
        if close:
            self.send_header("Connection", "close")
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if not head:
            self.wfile.write(data)

    def send_text(self, status: int, text: str, head: bool) -> None:
        self.send_bytes(status, text.encode(), "text/plain; charset=utf-8", head)


LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
_HOST = re.compile(
    r"(?:\[(?P<ip6>[0-9A-Fa-f:.]+)\]|(?P<name>[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?))(?::(?P<port>[0-9]{1,5}))?"
)


def host_name(header: str) -> str | None:
    """The name a Host header (or the host of an absolute URL) gives, lowercased (an IPv6
    address in its short form), or None if it is not `name[:port]` or `[v6]:port` exactly:
    no user information (`localhost:80@evil.example`), no second name, no empty value."""
    found = _HOST.fullmatch(header.strip(" \t"))
    if found is None:
        return None
    if found.group("ip6"):
        try:
            return str(ipaddress.IPv6Address(found.group("ip6")))
        except ValueError:
            return None
    return found.group("name").lower()


def resolve(raw_path: str) -> str | None:
    """A request path to a relative file path inside the site, or None if it tries to leave it."""
    try:
        path = unquote(raw_path, errors="strict") if "%" in raw_path else raw_path
    except UnicodeDecodeError:  # e.g. overlong encodings such as %c0%ae
        return None
    if "\\" in path or "\x00" in path or not path.startswith("/"):
        return None
    parts = path.split("/")
    if any(part in ("..", ".") for part in parts):
        return None
    normalized = posixpath.normpath(path).lstrip("/")
    return "" if normalized == "." else normalized


def read_inside(root: Path, target: Path) -> bytes | None:
    """The file's bytes if it is a regular file whose real path is inside `root`."""
    try:
        real = Path(os.path.realpath(target))
        if not real.is_relative_to(os.path.realpath(root)) or not real.is_file():
            return None
        return real.read_bytes()
    except (OSError, ValueError):
        return None


def inject(html: bytes, server_id: str, epoch: int) -> bytes:
    tag = f'<script src="{PREFIX}livereload.js" data-server="{server_id}" data-epoch="{epoch}"></script>'.encode()
    at = html.rfind(b"</body>")
    return html[:at] + tag + html[at:] if at >= 0 else html + tag
