"""A scriptable HTTP server on 127.0.0.1 for the media fetcher's tests.

Each route is a function ``(request, hit)`` called with the request handler and the
1-based number of requests this path has had, so a route can answer 500 first and 200
next. The server records every request (path and time) and the highest number of
requests it was serving at once.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Route = Callable[["Handler", int], None]


def payload(name: str, size: int = 2048) -> bytes:
    """Deterministic bytes for a file called ``name``."""
    seed = hashlib.sha256(name.encode()).digest()
    return (seed * (size // len(seed) + 1))[:size]


class Handler(BaseHTTPRequestHandler):
    """Dispatches to the server's routes; tracks requests in flight."""

    protocol_version = "HTTP/1.1"
    server: MediaServer

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        """Keep the test output quiet."""

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        """Serve a GET through the route registered for the path (404 without one)."""
        path = self.path.split("?", 1)[0]
        hit = self.server.record(self.path)
        self._tracked = True
        try:
            route = self.server.routes.get(self.path) or self.server.routes.get(path)
            with contextlib.suppress(ConnectionError, TimeoutError):
                if route is None:
                    self.respond(404, b"not found")
                else:
                    route(self, hit)
        finally:
            self.done()

    def done(self) -> None:
        """Stop counting this request as in flight (idempotent)."""
        if self._tracked:
            self._tracked = False
            self.server.leave()

    def respond(
        self,
        status: int,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        *,
        length: int | None = None,
    ) -> None:
        """Send a whole response. ``length`` overrides the Content-Length header.

        The request stops counting as in flight before the last byte goes out, so a client
        that has the whole body has already been subtracted from the in-flight count.
        """
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        if body:
            self.wfile.write(body[:-1])
            self.wfile.flush()
        self.done()
        if body:
            self.wfile.write(body[-1:])
        self.wfile.flush()

    def stream(self, body: bytes, *, chunks: int, delay: float, length: bool = True) -> None:
        """Send ``body`` in ``chunks`` pieces with ``delay`` seconds between them.

        Without ``length`` there is no Content-Length: the body ends when the connection
        closes.
        """
        self.send_response(200)
        if length:
            self.send_header("Content-Length", str(len(body)))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        step = max(1, -(-len(body) // chunks))
        for start in range(0, len(body), step):
            self.wfile.write(body[start:start + step])
            self.wfile.flush()
            time.sleep(delay)


class MediaServer(ThreadingHTTPServer):
    """The server: routes, a request log and the in-flight high-water mark."""

    daemon_threads = True

    def __init__(self) -> None:
        """Listen on 127.0.0.1 on a free port."""
        super().__init__(("127.0.0.1", 0), Handler)
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.log: list[tuple[str, float]] = []
        self.inflight = 0
        self.max_inflight = 0
        self._state = threading.Lock()

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return int(self.server_address[1])

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        """The URL of ``path`` on this server, by IP or by another name (``localhost``)."""
        return f"http://{host}:{self.port}{path}"

    def record(self, path: str) -> int:
        """Log a request; return how many requests this path has had."""
        with self._state:
            self.hits[path] += 1
            self.log.append((path, time.monotonic()))
            self.inflight += 1
            self.max_inflight = max(self.max_inflight, self.inflight)
            return self.hits[path]

    def leave(self) -> None:
        """A request stopped being in flight."""
        with self._state:
            self.inflight -= 1

    def times(self, path: str) -> list[float]:
        """When each request for ``path`` arrived (monotonic clock)."""
        with self._state:
            return [t for p, t in self.log if p == path]

    # Route helpers --------------------------------------------------------------------

    def file(self, path: str, body: bytes | None = None, *, delay: float = 0.0) -> bytes:
        """Serve ``body`` (default: :func:`payload` of the path) at ``path``; return it."""
        data = payload(path) if body is None else body

        def route(req: Handler, hit: int) -> None:
            if delay:
                time.sleep(delay)
            req.respond(200, data, {"Content-Type": "application/octet-stream"})

        self.routes[path] = route
        return data

    def sequence(self, path: str, *steps: Route) -> None:
        """Answer the n-th request with ``steps[n-1]`` (the last step repeats)."""

        def route(req: Handler, hit: int) -> None:
            steps[min(hit, len(steps)) - 1](req, hit)

        self.routes[path] = route

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        """Redirect ``path`` to ``location``."""
        self.routes[path] = lambda req, hit: req.respond(status, b"", {"Location": location})


@contextlib.contextmanager
def running() -> Iterator[MediaServer]:
    """A :class:`MediaServer` serving in a background thread for the block's duration."""
    server = MediaServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
