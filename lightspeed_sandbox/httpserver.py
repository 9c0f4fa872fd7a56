"""A small, fast HTTP/1.1 server (keep-alive, dropped connections on demand)."""

from __future__ import annotations

import contextlib
import email.utils
import socket
import socketserver
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .wire import HTTP_MESSAGES

MAX_LINE = 65536
MAX_HEADERS = 100
MAX_BODY = 64 * 1024 * 1024


@dataclass
class Request:
    """An HTTP request as the application sees it."""

    method: str
    target: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    client: str


@dataclass
class Response:
    """An HTTP response, with fault hooks.

    Attributes:
        status: Status code.
        body: Body bytes.
        content_type: ``Content-Type``.
        headers: Extra headers.
        drop: Close the connection after part of the body.
        delay: Seconds to wait before answering.
    """

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: list[tuple[str, str]] = field(default_factory=list)
    drop: bool = False
    delay: float = 0.0


_date_cache: list = [0, ""]


def _http_date() -> str:
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache[0] = now
        _date_cache[1] = email.utils.formatdate(now, usegmt=True)
    return _date_cache[1]


def encode_response(resp: Response, keep_alive: bool) -> bytes:
    """Serialize a response (status line, headers, body)."""
    reason = HTTP_MESSAGES.get(resp.status, "Unknown")
    lines = [
        f"HTTP/1.1 {resp.status} {reason}",
        "Server: lightspeed-sandbox",
        f"Date: {_http_date()}",
        f"Content-Type: {resp.content_type}",
        f"Content-Length: {len(resp.body)}",
        "Connection: keep-alive" if keep_alive else "Connection: close",
    ]
    lines.extend(f"{k}: {v}" for k, v in resp.headers)
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head + resp.body


class _Handler(socketserver.BaseRequestHandler):
    server: SandboxHTTPServer

    def handle(self) -> None:
        sock: socket.socket = self.request
        server = self.server
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        server.track(sock, True)
        rfile = sock.makefile("rb", buffering=65536)
        client = f"{self.client_address[0]}:{self.client_address[1]}"
        try:
            while not server.stopping:
                req, keep_alive = self._read_request(rfile, sock, client)
                if req is None:
                    break
                resp = server.app(req)
                if resp.delay:
                    time.sleep(resp.delay)
                data = encode_response(resp, keep_alive)
                if resp.drop:
                    body_start = len(data) - len(resp.body)
                    sock.sendall(data[: body_start + max(1, len(resp.body) // 2)])
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)
                    break
                sock.sendall(data)
                if not keep_alive:
                    break
        except (ConnectionError, TimeoutError, OSError, ValueError):
            pass
        finally:
            server.track(sock, False)
            with contextlib.suppress(OSError):
                rfile.close()

    def _read_request(
        self, rfile: object, sock: socket.socket, client: str
    ) -> tuple[Request | None, bool]:
        readline = rfile.readline  # type: ignore[attr-defined]
        line = readline(MAX_LINE)
        while line in (b"\r\n", b"\n"):
            line = readline(MAX_LINE)
        if not line:
            return None, False
        parts = line.split()
        if len(parts) != 3:
            sock.sendall(encode_response(Response(400, b"Bad request line"), False))
            return None, False
        method, target, version = (p.decode("latin-1") for p in parts)
        headers: dict[str, str] = {}
        for _ in range(MAX_HEADERS):
            h = readline(MAX_LINE)
            if not h:
                return None, False  # the client hung up in the middle of its headers
            if h in (b"\r\n", b"\n"):
                break
            name, _, value = h.partition(b":")
            headers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
        conn = headers.get("connection", "").lower()
        keep_alive = "close" not in conn if version == "HTTP/1.1" else "keep-alive" in conn
        if headers.get("expect", "").lower() == "100-continue":
            sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        body = b""
        read = rfile.read  # type: ignore[attr-defined]
        if "chunked" in headers.get("transfer-encoding", "").lower():
            chunks = []
            while True:
                size_line = readline(MAX_LINE)
                if not size_line:
                    return None, False  # the client hung up in the middle of its body
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while readline(MAX_LINE) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunk = read(size)
                if len(chunk) < size:
                    return None, False  # the client hung up in the middle of its body
                chunks.append(chunk)
                readline(MAX_LINE)
            body = b"".join(chunks)
        elif headers.get("content-length"):
            length = int(headers["content-length"])
            if length > MAX_BODY:
                sock.sendall(encode_response(Response(413, b"Payload too large"), False))
                return None, False
            body = read(length)
            if len(body) < length:
                # The client hung up before sending its whole body: like a real server, never
                # process a request that did not fully arrive.
                return None, False
        path, _, query = target.partition("?")
        return Request(method, target, path, query, headers, body, client), keep_alive


class SandboxHTTPServer(socketserver.ThreadingTCPServer):
    """Threaded TCP server that tracks its connections so it can stop cleanly.

    Args:
        address: (host, port) to bind.
        app: Callable turning a :class:`Request` into a :class:`Response`.
    """

    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: Callable[[Request], Response]) -> None:
        self.app = app
        self.stopping = False
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        super().__init__(address, _Handler)

    def track(self, sock: socket.socket, add: bool) -> None:
        """Register or forget an open connection."""
        with self._conns_lock:
            if add:
                self._conns.add(sock)
            else:
                self._conns.discard(sock)

    def close_connections(self) -> None:
        """Shut down every open client connection (ends keep-alive threads)."""
        self.stopping = True
        with self._conns_lock:
            conns = list(self._conns)
        for sock in conns:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
