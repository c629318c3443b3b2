"""One article's bytes -> the plain form written to the articles folder.

Plain text like the seed is kept as written (decoded to UTF-8); Markdown and HTML are
turned into the same plain form: the title, "Published By:" and "Published On:"
lines, then one paragraph per line, so that `article.parse_article` reads every
article the same way. HTML's main text and metadata come from trafilatura. A source
that is binary, empty, huge or in an unknown encoding is Refused, with what to do.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from .fetch import MAX_BYTES, Refused

TEXT_SUFFIXES = {".txt": "text", ".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html"}
_MAGIC = {
    b"%PDF": "a PDF",
    b"PK\x03\x04": "a ZIP or Office file",
    b"\x89PNG": "a PNG image",
    b"GIF8": "a GIF image",
    b"\xff\xd8\xff": "a JPEG image",
    b"\x1f\x8b": "a gzip archive",
    b"\x7fELF": "a program",
}


def sniff_binary(data: bytes) -> str | None:
    """What a binary file is ('a PDF', 'binary data'), or None for text."""
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            return what
    head = data[:8192]
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "binary data"
    return None


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without a BOM) or UTF-16 with a BOM; any other encoding is refused,
    because a wrong guess would silently garble names and quotes."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise Refused(
            f"not UTF-8 text (byte {e.start} is 0x{data[e.start]:02x}; unknown encoding) - "
            "save it as UTF-8 and add it again"
        ) from None


def _when(value) -> str | None:
    """'2025-11-03' -> '3 November 2025' (the form the seed prints)."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return f"{value.day} {value:%B %Y}"
    if isinstance(value, str):
        try:
            return _when(date.fromisoformat(value.strip()[:10]))
        except ValueError:
            return value.strip() or None
    return None


def plain_article(title: str, body: list[str], author: str | None = None, published=None) -> str:
    """The seed's plain form: title, metadata lines, then one paragraph per line."""
    head = [title.strip()]
    if author:
        head.append(f"Published By: {author.strip()}")
    if when := _when(published):
        head.append(f"Published On: {when}")
    lines = [" ".join(x.split()) for x in body]
    return "\n\n".join(head + [x for x in lines if x]) + "\n"


def html_to_text(data: bytes | str) -> str:
    """Main text and metadata of a web page, via trafilatura (navigation, ads and
    page furniture dropped)."""
    import trafilatura

    doc: Any = trafilatura.bare_extraction(data, with_metadata=True, favor_precision=True, include_comments=False)
    if doc is None or not (doc.text or "").strip():
        raise Refused("no article text found in the page - is it an article page, not an index or a login page?")
    lines = doc.text.splitlines()
    title = (doc.title or "").strip() or lines[0].strip()
    if lines and lines[0].strip() == title:
        lines = lines[1:]
    if not any(x.strip() for x in lines):
        raise Refused("no article text found in the page - is it an article page, not an index or a login page?")
    return plain_article(title, lines, doc.author, doc.date)


def markdown_to_text(source: str) -> str:
    """Markdown (with optional YAML front matter) -> the plain form; the first # heading is the title."""
    import yaml
    from markdown_it import MarkdownIt

    meta: dict = {}
    m = re.match(r"^---\s*\n(.*?)\n---\s*\n", source, re.S)
    if m:
        try:
            loaded = yaml.safe_load(m[1])
        except yaml.YAMLError:
            raise Refused("its front matter (the --- block at the top) is not valid YAML - fix or remove it") from None
        meta, source = (loaded if isinstance(loaded, dict) else {}), source[m.end() :]
    blocks: list[tuple[str, str]] = []  # (kind, text)
    kind = None
    for tok in MarkdownIt("commonmark").parse(source):
        if tok.type in ("heading_open", "paragraph_open"):
            kind = tok.tag if tok.type == "heading_open" else "p"
        elif tok.type == "inline" and kind:
            text = "".join(
                c.content if c.type in ("text", "code_inline") else " " if c.type.endswith("break") else ""
                for c in tok.children or []
            )
            blocks.append((kind, text))
            kind = None
    first_h1 = next((i for i, (k, _) in enumerate(blocks) if k == "h1"), None)
    title = meta.get("title")
    if first_h1 is not None and (not title or blocks[first_h1][1].strip() == str(title).strip()):
        title = blocks.pop(first_h1)[1]
    if not title:
        raise Refused("it has no title - start it with a '# Title' line or a front matter 'title:'")
    author = meta.get("author") or meta.get("authors")
    if isinstance(author, list):
        author = ", ".join(map(str, author))
    return plain_article(
        str(title), [t for _, t in blocks], author and str(author), meta.get("date") or meta.get("published")
    )


def normalise(data: bytes, kind: str) -> str:
    """Bytes of one source -> the plain article text written to the folder."""
    if not data.strip():
        raise Refused("the file is empty - put the article's text in it")
    if len(data) > MAX_BYTES:
        raise Refused(f"{len(data) / 1e6:.1f} MB is too large for one article (limit {MAX_BYTES // 2**20} MB)")
    if what := sniff_binary(data):
        raise Refused(f"it is {what}, not text - add the article as .txt, Markdown or HTML")
    if kind == "html":
        return html_to_text(data)
    text = decode_text(data).replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise Refused("the file is empty - put the article's text in it")
    if kind == "markdown":
        return markdown_to_text(text)
    return text if text.endswith("\n") else text + "\n"
