"""Addresses in shown text made inert: a link an article plants cannot be clicked from an
answer unless it is a cited article's own page."""

from __future__ import annotations

import html
import re

# What Markdown would turn into a link by itself: a web address or an e-mail address, as
# escape_md leaves them (a backslash before any punctuation Markdown reads).
_LINKISH = re.compile(r"(?:(?:https?|ftp)://|www\.)[^\s<>&]+|[\w.+\\-]+@[\w\\-]+(?:\.[\w\\-]+)+", re.I)


def inert_links(escaped: str, allowed: set[str]) -> str:
    r"""Each address in `escaped` (escape_md's output) shown as code, never as a link, unless
    it is one of `allowed` (the cited articles' own pages): a link planted in an article's
    text ("confirm your details at https://…") cannot be clicked from an answer.

    >>> inert_links("Go to https://evil.example/a\\_b now.", set())
    'Go to `https://evil.example/a_b` now.'
    >>> inert_links("See https://bbc.co.uk/x.", {"https://bbc.co.uk/x"})
    'See https://bbc.co.uk/x.'
    """

    def shown(m: re.Match) -> str:
        found = m[0]
        tail = re.search(r"(?:[.,;:!?)'\"]|\\.)+$", found)  # sentence punctuation after the address
        core, rest = (found[: tail.start()], found[tail.start() :]) if tail else (found, "")
        raw = html.unescape(re.sub(r"\\(.)", r"\1", core))
        if raw in allowed or raw.rstrip("/") in {a.rstrip("/") for a in allowed}:
            return found
        return "`" + raw.replace("`", "%60") + "`" + rest

    return _LINKISH.sub(shown, escaped)
