"""A fault-injecting HTTP/1.1 proxy on 127.0.0.1 for the sync fault tests (threaded, stdlib only)."""

from __future__ import annotations

import enum
import logging
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)


class Fault(enum.StrEnum):
    PASS = "pass"
    RESET_BEFORE = "reset_before"  # reset the client's connection; the server never sees it
    DROP_RESPONSE = "drop_response"  # forward, let the server answer (commit), then reset
    DELAY = "delay"  # forward, then hold the answer past the client's timeout and close
    UNAVAILABLE = "unavailable"  # answer 503 with Retry-After without forwarding
    REFUSE = "refuse"  # answer 422 invalid_request without forwarding (a bug on one side)


@dataclass
class Rule:
    fault: Fault
    path: str | None = None  # prefix of the request path it applies to; None: every request
    times: int | None = 1  # how many requests it hits; None: until removed
    delay: float = 5.0
    retry_after: int = 1
    before: Callable[[], None] | None = None  # run when it hits, before the fault acts
    after_forward: Callable[[], None] | None = None  # run once the request is with the server


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    fault: Fault
    headers: dict[str, str]


class _Closed(Exception):
    """The peer closed the connection mid-message."""


class _Reader:
    """Buffered reads over a socket (not makefile(), which would keep the socket from closing)."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = b""

    def _fill(self) -> bool:
        chunk = self._sock.recv(65536)
        self._buffer += chunk
        return bool(chunk)

    def readline(self, limit: int = 65537) -> bytes:
        while b"\n" not in self._buffer and len(self._buffer) < limit:
            if not self._fill():
                break
        end = self._buffer.find(b"\n")
        end = len(self._buffer) if end < 0 else end + 1
        line, self._buffer = self._buffer[:end], self._buffer[end:]
        return line

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            if not self._fill():
                break
        if size < 0:
            size = len(self._buffer)
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


class FaultProxy:
    """Listens on 127.0.0.1:<free port> and forwards to the upstream server, faults permitting."""

    def __init__(self, upstream_port: int, upstream_host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        self._rules: list[Rule] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self.seen: list[Seen] = []
        self.in_flight = 0
        self.max_in_flight = 0  # most requests the server was handling at once through this proxy
        self._thread = threading.Thread(target=self._accept_loop, name="fault-proxy", daemon=True)
        self._connections: set[socket.socket] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        try:
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() on Linux
        except OSError:
            pass
        self._listener.close()
        with self._lock:
            for conn in list(self._connections):
                _close(conn)
        self._thread.join(5)

    def add(self, fault: Fault, **options: object) -> Rule:
        rule = Rule(fault, **options)  # type: ignore[arg-type]
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def requests_to(self, path: str) -> list[Seen]:
        with self._lock:
            return [seen for seen in self.seen if seen.path.startswith(path)]

    def faults_hit(self, fault: Fault) -> int:
        with self._lock:
            return sum(1 for seen in self.seen if seen.fault is fault)

    # --- internals --------------------------------------------------------------------------

    def _take(self, method: str, path: str, headers: dict[str, str]) -> Rule | None:
        with self._lock:
            for rule in self._rules:
                if rule.path is None or path.startswith(rule.path):
                    if rule.times is not None:
                        rule.times -= 1
                        if rule.times <= 0:
                            self._rules.remove(rule)
                    self.seen.append(Seen(method, path, rule.fault, headers))
                    return rule
            self.seen.append(Seen(method, path, Fault.PASS, headers))
            return None

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self._connections.add(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        link = _Link(client)
        try:
            while self._serve_one(link):
                pass
        except (OSError, _Closed):
            pass
        finally:
            link.close()
            with self._lock:
                self._connections.discard(client)

    def _serve_one(self, link: _Link) -> bool:
        """Handle one request on the client's connection; False when the connection is done."""
        request = _read_message(link.client_reader, has_body_by_default=False)
        if request is None:
            return False
        method, path = _request_line(request)
        rule = self._take(method, path, _headers(request.split(b"\r\n\r\n", 1)[0] + b"\r\n"))
        if rule is not None and rule.before is not None:
            rule.before()
        fault = rule.fault if rule is not None else Fault.PASS
        if fault is Fault.RESET_BEFORE:
            _reset(link.client)
            return False
        if rule is not None and fault in (Fault.UNAVAILABLE, Fault.REFUSE):
            link.client.sendall(_unavailable(rule.retry_after) if fault is Fault.UNAVAILABLE else _refused())
            return False
        response = self._forward(link, request, rule)
        if response is None or fault is Fault.DROP_RESPONSE:
            _reset(link.client)
            return False
        if rule is not None and fault is Fault.DELAY:
            self._stopping.wait(rule.delay)
            return False
        link.client.sendall(response)
        return True

    def _forward(self, link: _Link, request: bytes, rule: Rule | None) -> bytes | None:
        """The server's answer to `request`, or None when the server is gone."""
        try:
            upstream_reader = link.connect(self.upstream)
        except OSError:
            return None
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            assert link.upstream is not None
            link.upstream.sendall(request)
            if rule is not None and rule.after_forward is not None:
                rule.after_forward()
            return _read_message(upstream_reader, has_body_by_default=True)
        finally:
            with self._lock:
                self.in_flight -= 1


class _Link:
    """A client's connection and the upstream connection opened for it."""

    def __init__(self, client: socket.socket) -> None:
        self.client = client
        self.client_reader = _Reader(client)
        self.upstream: socket.socket | None = None
        self._upstream_reader: _Reader | None = None

    def connect(self, address: tuple[str, int]) -> _Reader:
        if self.upstream is None or self._upstream_reader is None:
            self.upstream = socket.create_connection(address, timeout=30)
            self._upstream_reader = _Reader(self.upstream)
        return self._upstream_reader

    def close(self) -> None:
        _close(self.client)
        if self.upstream is not None:
            _close(self.upstream)


def _request_line(message: bytes) -> tuple[str, str]:
    first = message.split(b"\r\n", 1)[0].decode("latin-1")
    parts = first.split(" ")
    return parts[0], parts[1] if len(parts) > 1 else ""


def _read_message(reader: _Reader, *, has_body_by_default: bool) -> bytes | None:
    """One raw HTTP/1.1 message (head and body), or None at a clean end of stream."""
    readline = reader.readline
    read = reader.read
    head = b""
    while True:
        line = readline(65537)
        if not line:
            if head:
                raise _Closed
            return None
        head += line
        if line in (b"\r\n", b"\n"):
            break
    headers = _headers(head)
    if headers.get("transfer-encoding", "").lower() == "chunked":
        return head + _read_chunked(readline, read)
    length = headers.get("content-length")
    if length is not None:
        body = read(int(length))
        if len(body) < int(length):
            raise _Closed
        return head + body
    if has_body_by_default and not head.split(b" ", 2)[1].startswith((b"1", b"204", b"304")):
        return head + read()
    return head


def _read_chunked(readline: Callable[[int], bytes], read: Callable[[int], bytes]) -> bytes:
    out = b""
    while True:
        size_line = readline(65537)
        if not size_line:
            raise _Closed
        out += size_line
        size = int(size_line.split(b";")[0].strip(), 16)
        if size == 0:
            while True:
                trailer = readline(65537)
                out += trailer
                if trailer in (b"\r\n", b"\n", b""):
                    return out
        out += read(size + 2)


def _headers(head: bytes) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in head.decode("latin-1").split("\r\n")[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return headers


def _unavailable(retry_after: int) -> bytes:
    body = (
        b'{"type":"about:blank","title":"Service Unavailable","status":503,'
        b'"detail":"maintenance","code":"unavailable"}'
    )
    return _problem("503 Service Unavailable", body, f"Retry-After: {retry_after}\r\n")


def _refused() -> bytes:
    body = (
        b'{"type":"about:blank","title":"Invalid request","status":422,'
        b'"detail":"transactions/0/points_delta: out of range","code":"invalid_request"}'
    )
    return _problem("422 Unprocessable Content", body, "")


def _problem(status: str, body: bytes, extra_headers: str) -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\n"
        "Content-Type: application/problem+json\r\n"
        f"{extra_headers}"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode() + body


def _reset(sock: socket.socket) -> None:
    """Close with an RST (SO_LINGER 0), as a dropped connection looks to the client."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    _close(sock)


def _close(sock: socket.socket) -> None:
    try:
        sock.close()
    except OSError:
        pass
