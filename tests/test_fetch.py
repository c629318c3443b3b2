"""Adding articles by URL, against a real server on 127.0.0.1: private hosts refused
unless allowed, redirects, types, sizes and timeouts each refused with their reason."""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from test_ingest import MARKDOWN, NEWS_PAGE  # tests/ is on sys.path (pytest's rootdir conftest)

from bot.ingest.folder import read_articles
from bot.ingest.sources import FetchOptions, add
from bot.text.article import load_articles


class _Site(BaseHTTPRequestHandler):
    routes: dict = {}
    hits: list = []

    def do_GET(self):
        self.hits.append(self.path)
        status, ctype, body, delay = self.routes.get(self.path, (404, "text/plain", b"not found", 0))
        time.sleep(delay)
        self.send_response(status)
        if status in (301, 302):
            self.send_header("Location", body.decode())
            body = b""
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def site():
    _Site.routes = {
        "/news/harbour-bridge.html": (200, "text/html; charset=utf-8", NEWS_PAGE.encode(), 0),
        "/library.md": (200, "text/markdown", MARKDOWN.encode(), 0),
        "/moved": (302, "text/html", b"/news/harbour-bridge.html", 0),
        "/to-file": (302, "text/html", b"file:///etc/passwd", 0),
        "/logo.png": (200, "image/png", b"\x89PNG\r\n\x1a\n", 0),
        "/huge.html": (200, "text/html", b"<p>" + b"x" * 2_000_000 + b"</p>", 0),
        "/slow.html": (200, "text/html", NEWS_PAGE.encode(), 3),
    }
    _Site.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    server.handle_error = lambda *args: None  # the client hanging up on /slow.html is expected
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_loopback_urls_are_refused_unless_allowed_by_configuration(site, tmp_path):
    (out,) = add([f"{site}/news/harbour-bridge.html"], tmp_path / "articles", FetchOptions.from_env())
    assert out.status == "refused"
    assert out.detail == (
        "127.0.0.1 is a private or loopback address (127.0.0.1) - only public sites can be fetched "
        "(set BOT_ALLOW_PRIVATE_URLS=1 to allow local ones)"
    )
    assert _Site.hits == []  # refused before any request was sent


@pytest.mark.parametrize("host", ["localhost", "10.1.2.3", "192.168.0.1", "169.254.169.254", "[::1]", "0.0.0.0"])
def test_private_hosts_are_refused(host, tmp_path):
    (out,) = add([f"http://{host}:9/page.html"], tmp_path / "articles", FetchOptions(timeout_s=2))
    assert out.status == "refused" and "is a private or loopback address" in out.detail


def test_urls_are_fetched_when_allowed(site, tmp_path, monkeypatch):
    monkeypatch.setenv("BOT_ALLOW_PRIVATE_URLS", "1")
    out = add([f"{site}/news/harbour-bridge.html", f"{site}/library.md", f"{site}/moved"], tmp_path / "articles")
    assert [(o.status, o.article_id) for o in out] == [
        ("added", "harbour-bridge"),
        ("added", "library"),
        ("unchanged", "harbour-bridge"),
    ]
    assert load_articles(tmp_path / "articles")[0].author == "Maria Lindqvist"


def test_an_article_added_from_a_url_links_to_it_and_one_from_a_file_does_not(site, tmp_path):
    (tmp_path / "library.md").write_text(MARKDOWN, encoding="utf-8")
    options = FetchOptions(allow_private=True)
    out = add([f"{site}/news/harbour-bridge.html", str(tmp_path / "library.md")], tmp_path / "articles", options)
    assert [o.status for o in out] == ["added", "added"]
    urls = {a.id: a.url for a in read_articles(tmp_path / "articles")}
    assert urls == {"harbour-bridge": f"{site}/news/harbour-bridge.html", "library": None}


@pytest.mark.parametrize(
    "path, message",
    [
        ("/missing.html", "the server answered 404 Not Found"),
        ("/logo.png", "it is image/png, not an article page (HTML, text or Markdown)"),
        ("/huge.html", "the page is 2.0 MB, over the 1.0 MB limit"),
        ("/to-file", "it redirects to file:///etc/passwd, which is not an http(s) URL"),
        ("/slow.html", "no answer within 1 s"),
    ],
)
def test_bad_urls_are_refused(site, path, message, tmp_path):
    options = FetchOptions(timeout_s=1, max_bytes=1_000_000, allow_private=True)
    (out,) = add([site + path], tmp_path / "articles", options)
    assert (out.status, out.detail) == ("refused", message)


@pytest.mark.parametrize(
    "url", ["ftp://example.org/a.html", "file:///etc/passwd", "javascript:alert(1)", "mailto:a@b.org"]
)
def test_only_http_urls(url, tmp_path):
    (out,) = add([url], tmp_path / "articles")
    assert (out.status, out.detail) == ("refused", "only http:// and https:// URLs can be fetched")


def test_a_missing_file_is_not_taken_for_a_url(tmp_path):
    (out,) = add([str(tmp_path / "gone.txt")], tmp_path / "articles")
    assert (out.status, out.detail) == ("refused", "no such file or folder")


def _trickling_server(stop_after_s: float):
    """A server on 127.0.0.1 that sends its status line and headers one byte a second, so
    that no single read waits long, and hangs up by itself after `stop_after_s`."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(stop_after_s)
    response = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 40\r\n\r\n" + b"x" * 40

    def serve():
        with listener:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            end = time.monotonic() + stop_after_s
            with conn:
                for byte in response:
                    if time.monotonic() > end:
                        return
                    try:
                        conn.sendall(bytes([byte]))
                    except OSError:  # the client hung up: expected
                        return
                    time.sleep(1)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}/news/trickle.html", thread


def test_a_status_line_that_trickles_is_cut_off_at_the_deadline(tmp_path, monkeypatch):
    """The deadline holds for the whole fetch, headers included: a byte a second keeps
    every read short of a socket timeout, and once took `add` a minute or more."""
    monkeypatch.setenv("BOT_ALLOW_PRIVATE_URLS", "1")
    url, server = _trickling_server(stop_after_s=60)
    options = dataclasses.replace(FetchOptions.from_env(), timeout_s=2)
    started = time.monotonic()
    (out,) = add([url], tmp_path / "articles", options)
    took = time.monotonic() - started
    assert (out.status, out.detail) == ("refused", "no answer within 2 s")
    assert took < 20, f"{took:.1f} s against a 2 s deadline (a minute or more without it)"
    server.join(timeout=20)  # it stops once it finds the connection shut, or by itself
