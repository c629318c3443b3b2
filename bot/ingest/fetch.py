"""Fetching an article page over http(s), guarded: one deadline for the whole fetch, a size
limit, no proxies, redirects only to http(s), and no private or loopback address (checked
before connecting and again on the connected socket, so DNS cannot swap one in) unless
configuration allows.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import os
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urljoin, urlparse

from ..core.errors import BotError

MAX_BYTES = 5 * 1024 * 1024  # a news page with inline scripts is rarely above 2 MB
FETCH_TIMEOUT_S = 15.0
_CONTENT_TYPES = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/plain": "text",
    "text/markdown": "markdown",
}


class Refused(BotError):
    """One source that cannot be added; the others still are."""


@dataclass(frozen=True)
class FetchOptions:
    timeout_s: float = FETCH_TIMEOUT_S
    max_bytes: int = MAX_BYTES
    allow_private: bool = False  # loopback and private addresses (BOT_ALLOW_PRIVATE_URLS=1)

    @classmethod
    def from_env(cls, env=None) -> FetchOptions:
        env = os.environ if env is None else env
        return cls(allow_private=(env.get("BOT_ALLOW_PRIVATE_URLS") or "").strip().lower() in ("1", "true", "yes"))


_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # well-known NAT64 prefix: the IPv4 address is the last 32 bits
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")  # local-use NAT64: translates into a network of its own
# The IPv6 forms whose last 32 bits are the IPv4 address they reach: IPv4-translated
# (::ffff:0:a.b.c.d, SIIT), IPv4-compatible (::a.b.c.d, deprecated but still routed by some
# stacks) and NAT64. (IPv4-mapped, 6to4 and Teredo are read by the ipaddress module.)
_LAST_32_BITS = (ipaddress.ip_network("::ffff:0:0:0/96"), ipaddress.ip_network("::/96"), _NAT64)


def embedded_ipv4(ip) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 transition form reaches, or None.

    >>> forms = ("64:ff9b::a9fe:a9fe", "2002:7f00:1::", "::127.0.0.1", "::ffff:0:7f00:1", "::ffff:10.0.0.1")
    >>> [str(embedded_ipv4(ipaddress.ip_address(a))) for a in forms]
    ['169.254.169.254', '127.0.0.1', '127.0.0.1', '127.0.0.1', '10.0.0.1']
    >>> embedded_ipv4(ipaddress.ip_address("2606:4700::1111")) is None
    True
    """
    if ip.version != 6:
        return None
    if ip.ipv4_mapped or ip.sixtofour:
        return ip.ipv4_mapped or ip.sixtofour
    if ip.teredo:
        return ip.teredo[1]  # the client, where the traffic ends up
    if int(ip) > 1 and any(ip in net for net in _LAST_32_BITS):  # not :: or ::1, which are IPv6's own
        return ipaddress.IPv4Address(ip.packed[12:])
    return None


def check_address(host: str, address: str, allow_private: bool) -> None:
    """Refuse a private, loopback or multicast address, judging an IPv6 transition form
    (NAT64, 6to4, Teredo, IPv4-mapped, -translated or -compatible) by the IPv4 address inside it."""
    if allow_private:
        return
    ip = ipaddress.ip_address(address.split("%")[0])
    for each in (ip, embedded_ipv4(ip)):
        if each is not None and (not each.is_global or each.is_multicast or each in _LOCAL_NAT64):
            raise Refused(
                f"{host} is a private or loopback address ({each}) - only public sites can be fetched "
                "(set BOT_ALLOW_PRIVATE_URLS=1 to allow local ones)"
            )


class _Deadline:
    """The one wall-clock limit of a fetch: connecting, the status line and headers, every
    redirect and the body all count against it. A socket timeout cannot be that limit: it
    bounds each read, and a server sending a byte a second never lets one time out. When
    the deadline passes, every socket the fetch opened is shut down, which ends a read
    blocked on it."""

    def __init__(self, seconds: float):
        self.at = time.monotonic() + seconds
        self.headers_in = False  # the response's status line and headers have arrived
        self._sockets: list[socket.socket] = []
        self._expired = False
        self._lock = threading.Lock()

    def left(self) -> float:
        return self.at - time.monotonic()

    def track(self, sock: socket.socket) -> socket.socket:
        with self._lock:
            if self._expired:
                sock.close()
                raise TimeoutError("the fetch ran out of time")
            self._sockets.append(sock)
        return sock

    def expire(self) -> None:
        with self._lock:
            self._expired = True
            for sock in self._sockets:
                with contextlib.suppress(OSError):  # already closed, or detached into a TLS socket
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)  # the raw socket's, under any TLS layer


def _connection(base, allow_private, deadline: _Deadline):
    class Checked(base):
        """Checks the address actually connected to, so DNS cannot swap in a private one;
        connects within what is left of the deadline and hands the socket to it."""

        def connect(self):
            try:
                infos = socket.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM)
            except socket.gaierror as e:
                raise Refused(f"cannot find the host {self.host} ({e.strerror})") from None
            for info in infos:  # before connecting: no request, not even a SYN, to a private host
                check_address(self.host, info[4][0], allow_private)
            left = deadline.left()
            if left <= 0:
                raise TimeoutError("the fetch ran out of time")
            self.timeout = min(self.timeout, left) if isinstance(self.timeout, float | int) else left
            self._create_connection = lambda *a, **k: deadline.track(socket.create_connection(*a, **k))
            super().connect()
            deadline.track(self.sock)  # under TLS, the socket that now carries the connection
            check_address(self.host, self.sock.getpeername()[0], allow_private)

    return Checked


class _Redirects(urllib.request.HTTPRedirectHandler):
    max_redirections = 5

    def http_error_302(self, req, fp, code, msg, headers):
        target = urljoin(req.full_url, headers.get("Location", ""))
        if urlparse(target).scheme not in ("http", "https"):
            raise Refused(f"it redirects to {target}, which is not an http(s) URL")
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


def _read_body(resp, options: FetchOptions) -> bytes:
    """The body, within the size limit; `fetch` holds it to the deadline."""
    body = b""
    while True:
        piece = resp.read1(65536)  # what has arrived; read(n) would wait for all n bytes, however slow
        if not piece:
            return body
        body += piece
        if len(body) > options.max_bytes:
            raise Refused(f"the page is over the {options.max_bytes / 1e6:.1f} MB limit")


def fetch(url: str, options: FetchOptions) -> tuple[bytes, str, str]:
    """(body, kind, final URL) of an http(s) URL, within the size limit and one deadline
    (`options.timeout_s`) for all of it: connecting, headers, redirects and body.

    The fetch runs in a thread of its own while this one waits for it until the deadline,
    so nothing (a slow DNS answer, a trickled status line) can hold `add` longer. At the
    deadline its sockets are shut down, and the thread ends soon after on its own.
    """
    u = urlparse(url)
    if u.scheme not in ("http", "https") or not u.hostname:
        raise Refused("only http:// and https:// URLs can be fetched")
    deadline = _Deadline(options.timeout_s)
    outcome: dict = {}
    done = threading.Event()

    def run():
        try:
            outcome["page"] = _fetch(url, options, deadline)
        except BaseException as e:  # handed to the waiting thread, which raises it
            outcome["error"] = e
        finally:
            done.set()

    threading.Thread(target=run, name=f"fetch {u.hostname}", daemon=True).start()
    if not done.wait(max(deadline.left(), 0.0)):
        deadline.expire()
        if not deadline.headers_in:
            raise Refused(f"no answer within {options.timeout_s:g} s")
        raise Refused(f"the download took longer than {options.timeout_s:g} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["page"]


def _fetch(url: str, options: FetchOptions, deadline: _Deadline) -> tuple[bytes, str, str]:
    allow = options.allow_private

    class HTTP(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(_connection(http.client.HTTPConnection, allow, deadline), req)

    class HTTPS(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return self.do_open(_connection(http.client.HTTPSConnection, allow, deadline), req, context=self._context)

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), HTTP, HTTPS, _Redirects)
    request = urllib.request.Request(url, headers={"User-Agent": "article-qa-bot (+python -m bot add)"})
    try:
        with opener.open(request, timeout=options.timeout_s) as resp:
            deadline.headers_in = True
            length = resp.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > options.max_bytes:
                raise Refused(
                    f"the page is {int(length) / 1e6:.1f} MB, over the {options.max_bytes / 1e6:.1f} MB limit"
                )
            body = _read_body(resp, options)
            ctype = resp.headers.get_content_type()
            final = resp.geturl()
    except urllib.error.HTTPError as e:
        raise Refused(f"the server answered {e.code} {e.reason}") from None
    except urllib.error.URLError as e:
        reason = e.reason
        if isinstance(reason, Refused):
            raise reason from None
        raise Refused(f"cannot fetch it ({reason}) - check the address and the network") from None
    except TimeoutError:
        raise Refused(f"no answer within {options.timeout_s:g} s") from None
    except (OSError, http.client.HTTPException) as e:
        raise Refused(f"cannot fetch it ({e.__class__.__name__}: {e})") from None
    kind = _CONTENT_TYPES.get(ctype)
    if kind is None:
        raise Refused(f"it is {ctype}, not an article page (HTML, text or Markdown)")
    return body, kind, final
