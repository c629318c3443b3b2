"""Fetching an article page over http(s), guarded: a timeout, a size limit, no proxies,
redirects only to http(s), and no private or loopback address (checked before connecting
and again on the connected socket, so DNS cannot swap one in) unless configuration allows.
"""

from __future__ import annotations

import http.client
import ipaddress
import os
import socket
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


def check_address(host: str, address: str, allow_private: bool) -> None:
    ip = ipaddress.ip_address(address.split("%")[0])
    ip = getattr(ip, "ipv4_mapped", None) or ip
    if not allow_private and (not ip.is_global or ip.is_multicast):
        raise Refused(
            f"{host} is a private or loopback address ({ip}) - only public sites can be fetched "
            "(set BOT_ALLOW_PRIVATE_URLS=1 to allow local ones)"
        )


def _connection(base, allow_private):
    class Checked(base):
        """Checks the address actually connected to, so DNS cannot swap in a private one."""

        def connect(self):
            try:
                infos = socket.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM)
            except socket.gaierror as e:
                raise Refused(f"cannot find the host {self.host} ({e.strerror})") from None
            for info in infos:  # before connecting: no request, not even a SYN, to a private host
                check_address(self.host, info[4][0], allow_private)
            super().connect()
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


def fetch(url: str, options: FetchOptions) -> tuple[bytes, str, str]:
    """(body, kind, final URL) of an http(s) URL, within the timeout and size limit."""
    u = urlparse(url)
    if u.scheme not in ("http", "https") or not u.hostname:
        raise Refused("only http:// and https:// URLs can be fetched")
    allow = options.allow_private

    class HTTP(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(_connection(http.client.HTTPConnection, allow), req)

    class HTTPS(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return self.do_open(_connection(http.client.HTTPSConnection, allow), req, context=self._context)

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), HTTP, HTTPS, _Redirects)
    request = urllib.request.Request(url, headers={"User-Agent": "article-qa-bot (+python -m bot add)"})
    deadline = time.monotonic() + options.timeout_s
    try:
        with opener.open(request, timeout=options.timeout_s) as resp:
            length = resp.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > options.max_bytes:
                raise Refused(
                    f"the page is {int(length) / 1e6:.1f} MB, over the {options.max_bytes / 1e6:.1f} MB limit"
                )
            body = b""
            while piece := resp.read(65536):
                body += piece
                if len(body) > options.max_bytes:
                    raise Refused(f"the page is over the {options.max_bytes / 1e6:.1f} MB limit")
                if time.monotonic() > deadline:
                    raise Refused(f"the download took longer than {options.timeout_s:g} s")
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
