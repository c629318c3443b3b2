"""Secrets never leave the process: the one redaction every output passes through.

`redact` masks, in any text, the credentials of every URL in it (whatever the scheme, a
password holding '@' or ':' included, a later '@' in the path or query left alone) and
every secret `Settings` was given, as written and percent-encoded (an HTTP client logs
`p%40ss` for `p@ss`). `guard_logging` makes every log record of every library pass
through it (a record factory: the message is redacted once it is formatted, before any
handler sees it). The CLI's output, the evaluation's files and the page's messages call
`redact` on what they show: the CLI through `RedactingStream` over its standard output
and error, every `BotError`'s text through its `__str__`, the evaluation as it writes.

>>> remember("hunter@2")
>>> redact("GET http://bob:hunter@2@10.0.0.1:8000/v1?next=a@b.org failed")
'GET http://bob:***@10.0.0.1:8000/v1?next=a@b.org failed'
>>> redact("key hunter%402 in a header"), redact("mailto:a@b.org"), redact(None)
('key *** in a header', 'mailto:a@b.org', None)
"""

from __future__ import annotations

import logging
import re
import threading
from typing import overload
from urllib.parse import quote

MASK = "***"
# scheme://userinfo@ : the userinfo runs to the authority's last '@' (before any / ? # or space)
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)([^\s/?#@]*(?:@[^\s/?#@]*)*)@(?=[^\s/?#@]*(?:[\s/?#]|$))")
_secrets: set[str] = set()
_lock = threading.Lock()
_guarded = False


def remember(secret: str | None) -> None:
    """A value to mask wherever it appears (a password, an API key); short ones are not
    taken (masking a 3-letter password would mask ordinary words)."""
    if secret and len(secret) >= 4:
        with _lock:
            _secrets.update({secret, quote(secret, safe="")})


def userinfo(url: str | None) -> str | None:
    """The credentials part of a URL ("user:password"), or None: all before the authority's
    last '@', whatever it holds (spaces, '@', percent-escapes)."""
    from urllib.parse import urlsplit

    try:
        netloc = urlsplit(url or "").netloc
    except ValueError:
        return None
    credentials, at, _ = netloc.rpartition("@")
    return credentials if at and credentials else None


def remember_credentials(url: str | None) -> None:
    """Mask a URL's password (or lone token) from now on, as written and decoded."""
    from urllib.parse import unquote

    credentials = userinfo(url)
    if credentials:
        secret = credentials.partition(":")[2] or credentials
        remember(secret)
        remember(unquote(secret))


def redact_unparsed(raw: str) -> str:
    """A string meant as a URL that did not parse (a password holding '/', '?' or '#'):
    everything between '://' and its last '@' masked."""
    return re.sub(r"(://)[^@]*@", r"\1" + MASK + "@", redact(raw))


@overload
def redact(text: str) -> str: ...
@overload
def redact(text: None) -> None: ...
def redact(text: str | None) -> str | None:
    """`text` with URL credentials and the remembered secrets masked."""
    if not text:
        return text

    def hide(m: re.Match) -> str:
        user, has_password, _ = m[2].partition(":")
        return f"{m[1]}{user + ':' + MASK if has_password else MASK}@"

    text = _USERINFO.sub(hide, text)
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def guard_logging() -> None:
    """Redact every log record from here on, whichever library logs it (idempotent)."""
    global _guarded
    with _lock:
        if _guarded:
            return
        make = logging.getLogRecordFactory()

        def factory(*args, **kwargs) -> logging.LogRecord:
            record = make(*args, **kwargs)
            try:
                message = record.getMessage()
            except Exception:  # a library's bad format string: let its handler report it
                return record
            clean = redact(message)
            if clean != message:
                record.msg, record.args = clean, None
            if record.exc_info:  # a chained cause may hold what the message does not
                record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
                record.exc_info = None
            return record

        logging.setLogRecordFactory(factory)
        _guarded = True


class RedactingStream:
    """A text stream (standard output or error) that redacts what is written to it."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(redact(text) or "")
        return len(text)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)
