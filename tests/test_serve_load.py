"""`digest serve` under load and abuse, on loopback only: many open pages, many requests,
slow and idle clients, hostile paths and Host headers. Every loop is bounded."""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.test_serve import ServeProcess, get
from tests.test_serve import site_root as site_root  # the shared fixture site

LIVE_CLIENTS = 200
REQUESTS = 1000
SLOW_CLIENTS = 50
PAGES = ["/", "/tags/", "/tags/china/", "/briefs/minerals/", "/weeks/", "/archive/", "/feed.xml", "/static/style.css"]


@pytest.fixture
def server(site_root: Path) -> Iterator[ServeProcess]:
    process = ServeProcess(site_root)
    yield process
    assert process.stop() == 0, "Ctrl-C stops the server cleanly, even with clients connected"


def open_event_stream(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(f"GET /__digest__/events?epoch=0 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
    return sock


def read_until(sock: socket.socket, marker: bytes, limit: int = 1 << 20) -> bytes:
    """Bytes from `sock` up to and including `marker` (within the socket's timeout)."""
    data = b""
    while marker not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"connection closed before {marker!r}; got {data[-300:]!r}")
        data += chunk
        assert len(data) < limit
    return data


def events(data: bytes) -> list[dict[str, object]]:
    return [json.loads(line[6:]) for line in data.decode().split("\n") if line.startswith("data: ")]


def fetch_all(port: int, paths: list[str], workers: int) -> list[tuple[str, int, bytes]]:
    """GET every path, `workers` at a time, each worker on one keep-alive connection."""
    chunks = [paths[n::workers] for n in range(workers)]

    def worker(chunk: list[str]) -> list[tuple[str, int, bytes]]:
        results = []
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            for path in chunk:
                connection.request("GET", path, headers={"Host": f"127.0.0.1:{port}"})
                response = connection.getresponse()
                results.append((path, response.status, response.read()))
        finally:
            connection.close()
        return results

    with ThreadPoolExecutor(workers) as pool:
        return [item for chunk in pool.map(worker, chunks) for item in chunk]


def test_two_hundred_open_pages_and_a_thousand_requests(server: ServeProcess, site_root: Path) -> None:
    expected = {path: get(server, path)[2] for path in PAGES}
    streams = [open_event_stream(server.port) for _ in range(LIVE_CLIENTS)]
    try:
        for sock in streams:
            hello = read_until(sock, b"\n\n")
            assert hello.startswith(b"HTTP/1.1 200") and b'"type": "hello"' in hello, hello[:200]
        paths = [PAGES[n % len(PAGES)] for n in range(REQUESTS)]
        results = fetch_all(server.port, paths, workers=16)
        assert len(results) == REQUESTS
        failures = [(path, status) for path, status, body in results if status != 200 or body != expected[path]]
        assert not failures, f"{len(failures)} of {REQUESTS} requests failed: {failures[:5]}"

        brief = site_root / "content" / "briefs" / "minerals.md"
        brief.write_text(brief.read_text() + "\nA change every open page hears about.\n")
        for sock in streams:  # every open page, still connected, is told what changed
            data = read_until(sock, b"/briefs/minerals/")
            assert any(e.get("type") == "build" and "/briefs/minerals/" in e.get("changed", []) for e in events(data))
    finally:
        for sock in streams:
            sock.close()
    assert b"A change every open page hears about." in get(server, "/briefs/minerals/")[2]


def test_slow_and_idle_clients_do_not_block_others(server: ServeProcess) -> None:
    port = server.port
    slow: list[socket.socket] = []
    try:
        for n in range(SLOW_CLIENTS):
            sock = socket.create_connection(("127.0.0.1", port), timeout=30)
            if n % 3 == 1:  # the request line only
                sock.sendall(b"GET / HTTP/1.1\r\n")
            elif n % 3 == 2:  # half of the headers, never finished
                sock.sendall(f"GET /tags/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: slo".encode())
            slow.append(sock)  # n % 3 == 0: connected, sends nothing
        results = fetch_all(port, [PAGES[n % len(PAGES)] for n in range(200)], workers=8)
        assert [status for _, status, _ in results] == [200] * 200
        for sock in slow[2::3]:  # the half-sent requests still get their answer when they finish
            sock.sendall(b"w\r\n\r\n")
            assert read_until(sock, b"\r\n\r\n").startswith(b"HTTP/1.1 200")
        for sock in slow:  # and no client holds a connection (and its thread) for ever: the server hangs up
            sock.settimeout(90)
            with contextlib.suppress(ConnectionResetError):
                while sock.recv(65536):
                    pass
    finally:
        for sock in slow:
            sock.close()
    assert get(server, "/")[0] == 200


def raw_request(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request)
        data = b""
        with contextlib.suppress(TimeoutError, ConnectionResetError):
            while b"\r\n\r\n" not in data:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        return data


@pytest.mark.parametrize(
    "path",
    [
        "/%2e%2e/%2e%2e/digest.yaml",
        "/%252e%252e/digest.yaml",
        "/.%2e/digest.yaml",
        "/%c0%ae%c0%ae/digest.yaml",
        "/%ff/../digest.yaml",
        "//..//digest.yaml",
        "/briefs/%2F..%2F..%2Fdigest.yaml",
        "/%00/digest.yaml",
        "/..;/digest.yaml",
        "/../../../../../../etc/passwd",
        "//etc/passwd",
        "/%2fetc%2fpasswd",
    ],
)
def test_encoded_and_odd_traversals_are_refused_with_an_answer(server: ServeProcess, path: str) -> None:
    response = raw_request(server.port, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode())
    assert response.startswith((b"HTTP/1.1 400", b"HTTP/1.1 404")), (path, response[:100])
    assert b"title: Golden Digest" not in response and b"root:" not in response


@pytest.mark.parametrize(
    "host",
    ["localhost.evil.example", "127.0.0.1.evil.example", "evil.example#@127.0.0.1", "127.0.0.2", "0.0.0.0", "[::2]"],
)
def test_foreign_host_headers_are_refused(server: ServeProcess, host: str) -> None:
    assert get(server, "/", host=host)[0] == 403, host


def test_a_request_without_host_or_with_a_foreign_absolute_url_is_refused(server: ServeProcess) -> None:
    port = server.port
    assert raw_request(port, b"GET / HTTP/1.0\r\n\r\n").startswith(b"HTTP/1.1 403")
    assert raw_request(port, b"GET / HTTP/1.1\r\nHost: \r\n\r\n").startswith(b"HTTP/1.1 403")
    absolute = f"GET http://evil.example/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    assert raw_request(port, absolute).startswith(b"HTTP/1.1 403"), "the URL's host counts, as in HTTP/1.1"
    local = f"GET http://127.0.0.1:{port}/tags/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    assert raw_request(port, local).startswith(b"HTTP/1.1 200")


def test_a_flood_of_short_connections_leaves_the_server_answering(server: ServeProcess) -> None:
    """Clients that connect and hang up at once, or send garbage, in parallel with real requests."""
    port = server.port

    def garbage(n: int) -> None:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            if n % 2:
                sock.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(range(256)) + b"\r\n\r\n")
                with contextlib.suppress(OSError):
                    sock.recv(1024)

    threads = [threading.Thread(target=garbage, args=(n,)) for n in range(300)]
    for thread in threads:
        thread.start()
    results = fetch_all(port, ["/"] * 100, workers=4)
    for thread in threads:
        thread.join(timeout=60)
    assert [status for _, status, _ in results] == [200] * 100
    assert get(server, "/tags/")[0] == 200


def test_a_folder_redirect_never_points_at_another_host(server: ServeProcess) -> None:
    """`//tags` would redirect to `//tags/`, which a browser reads as the host `tags`."""
    for path in ("//tags", "/tags", "///briefs"):
        status, headers, _ = get(server, path)
        assert status == 301 and headers["location"] in ("/tags/", "/briefs/"), (path, headers.get("location"))


def read_to_close(port: int, request: bytes) -> bytes:
    """Everything the server sends until it closes the connection (or 10 s of silence)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        with contextlib.suppress(TimeoutError, ConnectionResetError):
            while chunk := sock.recv(65536):
                data += chunk
        return data


@pytest.mark.parametrize(
    "host",
    [
        "localhost:{port}@evil.example",
        "127.0.0.1:{port}@evil.example",
        "user@localhost:{port}",
        "evil.localhost",
        "evil.localhost:{port}",
        "localhost:{port}:{port}",
        "localhost:port",
        "localhost.",
        "127.0.0.1, evil.example",
        "127.0.0.1 evil.example",
    ],
)
def test_a_host_header_with_userinfo_or_another_name_is_refused(server: ServeProcess, host: str) -> None:
    host = host.format(port=server.port)
    response = read_to_close(server.port, f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
    assert response.startswith(b"HTTP/1.1 403"), (host, response[:80])


@pytest.mark.parametrize("host", ["localhost", "localhost:{port}", "127.0.0.1:{port}", "[::1]:{port}", "LocalHost"])
def test_loopback_host_headers_are_answered(server: ServeProcess, host: str) -> None:
    host = host.format(port=server.port)
    response = read_to_close(server.port, f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
    assert response.startswith(b"HTTP/1.1 200"), (host, response[:80])


@pytest.mark.parametrize("second", ["127.0.0.1:{port}", "evil.example"])
def test_two_host_headers_are_refused(server: ServeProcess, second: str) -> None:
    port = server.port
    request = f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nHost: {second.format(port=port)}\r\n\r\n"
    response = read_to_close(port, request.encode())
    assert response.startswith(b"HTTP/1.1 400"), response[:80]
    assert response.count(b"HTTP/1.1 ") == 1, "and the connection is closed"


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("framing", ["length", "chunked"])
def test_a_body_on_get_or_head_is_refused_never_read_as_a_request(
    server: ServeProcess, method: str, framing: str
) -> None:
    port = server.port
    smuggled = f"GET /tags/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    if framing == "length":
        head = f"{method} / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {len(smuggled)}\r\n\r\n"
        request = head.encode() + smuggled
    else:
        head = f"{method} / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nTransfer-Encoding: chunked\r\n\r\n"
        request = head.encode() + f"{len(smuggled):x}\r\n".encode() + smuggled + b"\r\n0\r\n\r\n"
    response = read_to_close(port, request)
    assert response.startswith(b"HTTP/1.1 400"), response[:80]
    assert response.count(b"HTTP/1.1 ") == 1, "one answer, and the connection closed: the body is no request"
    assert get(server, "/")[0] == 200


def test_an_empty_body_on_get_is_no_body(server: ServeProcess) -> None:
    port = server.port
    request = f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    assert read_to_close(port, request.encode()).startswith(b"HTTP/1.1 200")


def test_serving_beyond_this_machine_warns_hides_drafts_and_checks_hosts(site_root: Path) -> None:
    process = ServeProcess(site_root, "--host", "0.0.0.0")
    try:
        warning = "digest: warning: serving on 0.0.0.0, which other machines can reach: drafts are hidden"
        assert any(line.startswith(warning) for line in process.log), process.log
        assert any(line.startswith("Serving") and "(drafts hidden)" in line for line in process.log)
        assert process.url == f"http://localhost:{process.port}/", "an address that is answered"
        assert get(process, "/briefs/draft-brief/")[0] == 404, "no drafts for the network"
        assert get(process, "/briefs/minerals/")[0] == 200
        assert get(process, "/", host="evil.example")[0] == 403, "the Host check stays on"
        assert get(process, "/", host=f"digest.test:{process.port}")[0] == 403
        assert get(process, "/", host=f"localhost:{process.port}")[0] == 200
    finally:
        assert process.stop() == 0


def test_allowed_host_names_and_drafts_on_the_network_are_the_writers_choice(site_root: Path) -> None:
    process = ServeProcess(
        site_root, "--host", "0.0.0.0", "--allowed-host", "digest.test", "--allowed-host", "Other.Test", "--drafts"
    )
    try:
        assert get(process, "/briefs/draft-brief/")[0] == 200
        for host in ("digest.test", f"digest.test:{process.port}", "other.test", f"localhost:{process.port}"):
            assert get(process, "/", host=host)[0] == 200, host
        for host in ("evil.digest.test", f"digest.test:{process.port}@evil.example", "evil.example"):
            assert get(process, "/", host=host)[0] == 403, host
    finally:
        assert process.stop() == 0


def test_drafts_are_served_on_this_machine_unless_no_drafts(site_root: Path) -> None:
    process = ServeProcess(site_root)
    try:
        assert get(process, "/briefs/draft-brief/")[0] == 200
    finally:
        assert process.stop() == 0
    process = ServeProcess(site_root, "--no-drafts")
    try:
        assert get(process, "/briefs/draft-brief/")[0] == 404
    finally:
        assert process.stop() == 0
