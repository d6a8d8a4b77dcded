"""A real HTTP server on 127.0.0.1 serving recorded pages: for the offline demo, the tests and `bench/`.

Each path answers with a configurable page (body bytes, status, content type, headers, delay), honours
If-None-Match with 304, and records every request so callers can assert on politeness. Subclasses decide
per request what to answer by overriding `respond` (see challengesite.py).
"""

from __future__ import annotations

import hashlib
import ssl
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self
from urllib.parse import urlsplit


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        # a client killed mid-request (fault tests do this on purpose) is not a server error
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Page:
    body: bytes
    status: int = 200
    content_type: str | None = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    etag: bool = True
    delay_s: float = 0.0
    trickle_s: float = 0.0  # the body one byte at a time, this far apart: a server that never quite stalls


@dataclass(frozen=True)
class SeenRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


class LocalSite:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, tls: ssl.SSLContext | None = None) -> None:
        self.pages: dict[str, Page] = {}
        self.requests: list[SeenRequest] = []
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out as written, not 40 ms apart

            def log_message(self, format: str, *args: object) -> None:  # quiet
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                seen = SeenRequest(self.command, self.path, dict(self.headers.items()), body, time.monotonic())
                with site._lock:
                    site.requests.append(seen)
                self._answer(site.respond(seen))

            def _answer(self, page: Page) -> None:
                if page.delay_s:
                    time.sleep(page.delay_s)
                etag = f'"{hashlib.sha1(page.body).hexdigest()[:16]}"' if page.etag else None
                if etag and page.status == 200 and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(page.status)
                if page.content_type:
                    self.send_header("Content-Type", page.content_type)
                if etag:
                    self.send_header("ETag", etag)
                for name, value in page.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(page.body)))
                self.end_headers()
                if self.command != "HEAD" and page.trickle_s:
                    for byte in page.body:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(page.trickle_s)
                elif self.command != "HEAD":
                    self.wfile.write(page.body)

            do_GET = do_POST = do_HEAD = _serve

        self._server = _QuietServer((host, port), Handler)
        self._server.daemon_threads = True
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self._scheme = "https" if tls is not None else "http"
        self._thread: threading.Thread | None = None

    def respond(self, request: SeenRequest) -> Page:
        """The page for one request (called on the server's thread)."""
        with self._lock:
            page = self.pages.get(urlsplit(request.path).path)
        return page or Page(b"<html><body>404 Not Found</body></html>", status=404)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{self._scheme}://{host!s}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def set(self, path: str, page: Page) -> None:
        with self._lock:
            self.pages[path] = page

    def hits(self, path: str) -> list[SeenRequest]:
        with self._lock:
            return [r for r in self.requests if urlsplit(r.path).path == path]

    def start(self) -> LocalSite:
        self._thread = threading.Thread(target=self._server.serve_forever, name="localsite", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
