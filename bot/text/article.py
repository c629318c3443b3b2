"""Raw scraped news text -> a clean `Article` with numbered paragraphs and metadata.

The cleaned text starts with a short header written from the metadata (¶0), so that
"Who wrote this?" can be answered and cited like any other passage, then the body
paragraphs ¶1..¶n separated by blank lines. Every span indexes into `Article.text`.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import ArticlesError, ArticlesFolderError

log = logging.getLogger(__name__)

ARTICLE_SUFFIXES = (".txt",)

# Lines that are page furniture, not article text.
_BOILERPLATE = [
    re.compile(p, re.I)
    for p in (
        r"^advertisement$",
        r"^follow\s*:",
        r"^(also read|read more|recommended|trending|subscribe)\b",
        r"\|\s*(image|photo|picture|credit)s?\s*:",
        r"^(image|photo|picture)s?\s*(credit)?\s*:",
        r"^share( this)?( article| story)?\s*:?$",
    )
]
_UPDATED = re.compile(r"^(?:last\s+)?updated(?:\s+on)?\s*:?\s*(?P<v>.+)$", re.I)
_PUBLISHED_BY = re.compile(r"^(?:published|written|reported)\s+by\s*:?\s*(?P<v>.+)$", re.I)
_PUBLISHED_ON = re.compile(r"^published(?:\s+on)?\s*:\s*(?P<v>.+)$", re.I)
_BYLINE = re.compile(
    r"^(?i:by)\s+(?P<v>[A-Z][\w.'-]+(?:\s+[A-Z][\w.'-]+){0,3})$"
)  # "By Jane Doe": only the word "by" ignores case
_DATELINE = re.compile(r"^(?P<place>[A-Z][A-Za-z.' -]{1,40}?)\s*(?:\([^)]{1,30}\))?\s*:\s+(?=\S)")
_SENTENCE_END = re.compile(r"[.!?…\"”’')\]]$")


@dataclass(frozen=True)
class Paragraph:
    number: int  # 0 is the metadata header, 1..n the body
    start: int
    end: int
    section: str | None = None


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    text: str
    paragraphs: tuple[Paragraph, ...]
    author: str | None = None
    published: str | None = None  # as printed, e.g. "17 October 2025 at 05:22 IST"
    updated: str | None = None
    dateline: str | None = None
    summary: str | None = None
    source_sha256: str = ""
    url: str | None = None  # the http(s) page it was added from, when known (bot.ingest.folder sets it)

    @property
    def content_hash(self) -> str:
        """Hash of the cleaned text: chunk ids derive from it, so ids are stable."""
        return hashlib.sha256(self.text.encode()).hexdigest()


def _is_meta_value(key: str, value: str) -> bool:
    """A byline or date, not a body sentence that happens to start like one:
    'Updated 17 October 2025' is metadata, 'Updated figures show growth.' is text."""
    if key == "author":  # a few names ("Jane Doe Jr.", "Jane Doe (Reuters)"), not a sentence
        n = len(value.split())
        return n <= 8 and not (n > 3 and value.endswith((".", "!", "?")))
    return any(c.isdigit() for c in value)  # a date or a time


def _is_boilerplate(line: str, title: str | None) -> bool:
    if title and _norm(line) == _norm(title):
        return True
    return any(p.search(line) for p in _BOILERPLATE)


def _norm(s: str) -> str:
    return re.sub(r"\W+", " ", s).strip().lower()


def _is_heading(line: str, next_line: str | None) -> bool:
    """A short line without closing punctuation, followed by prose, heads a section."""
    words = line.split()
    return (
        next_line is not None
        and 1 <= len(words) <= 12
        and not _SENTENCE_END.search(line)
        and line[0].isupper()
        and len(next_line.split()) > len(words)
    )


def clean_line(line: str) -> str:
    """Normalise unicode and whitespace: 'a\u00a0 b  ' -> 'a b', 'Zelen\u00adskyy' -> 'Zelenskyy'."""
    line = unicodedata.normalize("NFC", line)
    # Format characters (soft hyphen, zero-width space/joiner, BOM) are invisible inside
    # words: drop them, or a soft-hyphenated name would be split in two.
    line = "".join(
        " " if unicodedata.category(c) in ("Zs", "Cc") else c for c in line if unicodedata.category(c) != "Cf"
    )
    return re.sub(r" {2,}", " ", line).strip()


# The longest article indexed: a long-read runs to 60,000 characters; 31,657 paragraphs
# (2 MB) took 20 minutes and 3.65 GB to index and reopen. Time and memory grow linearly up
# to this cap (docs/benchmarks.md, "Large articles").
MAX_ARTICLE_CHARS = 250_000


def too_long(text: str) -> str | None:
    """Why a text is too long to be one article, with what to do; None when it fits."""
    if len(text) <= MAX_ARTICLE_CHARS:
        return None
    return (
        f"it holds {len(text):,} characters, more than the {MAX_ARTICLE_CHARS:,} one article may hold - "
        "split it into parts, one file each"
    )


def parse_article(raw: str, article_id: str = "article") -> Article:
    """Parse raw scraped news text. Lines are the unit: the scrape puts one block per line."""
    why = too_long(raw)
    if why:
        raise ArticlesError(f"Article {article_id!r} is too long: {why}")
    lines = [clean_line(x) for x in raw.splitlines()]
    lines = [x for x in lines if x]
    if not lines:
        raise ArticlesError(f"Article {article_id!r} is empty - put the article's text in the file")
    meta: dict[str, str] = {}
    content: list[str] = []
    for line in lines:
        for key, pattern in (("updated", _UPDATED), ("author", _PUBLISHED_BY), ("published", _PUBLISHED_ON)):
            m = pattern.match(line)
            if m and len(line) < 120 and _is_meta_value(key, m["v"].strip()):
                meta.setdefault(key, m["v"].strip())
                break
        else:
            m = _BYLINE.match(line)
            if m and "author" not in meta:
                meta["author"] = m["v"]
            else:
                content.append(line)
    if not content:
        raise ArticlesError(f"Article {article_id!r} has no text besides its metadata - check the file")
    title = content[0]
    rest = content[1:]
    summary = None
    # A standfirst: the line right after the title, when page furniture follows it.
    if len(rest) >= 2 and _is_boilerplate(rest[1], title) and not _is_boilerplate(rest[0], title):
        summary, rest = rest[0], rest[1:]
    body = [x for x in rest if not _is_boilerplate(x, title)]

    blocks: list[tuple[str, str | None]] = []  # (paragraph, section heading)
    section = None
    for i, line in enumerate(body):
        nxt = body[i + 1] if i + 1 < len(body) else None
        if _is_heading(line, nxt):
            section = line
        else:
            blocks.append((line, section))
    dateline = None
    if blocks:
        m = _DATELINE.match(blocks[0][0])
        if m and len(m["place"].split()) <= 4:
            dateline = m["place"].strip()
            blocks[0] = (blocks[0][0][m.end() :], blocks[0][1])
    if not blocks:
        raise ArticlesError(f"Article {article_id!r} has no body paragraphs - check the file")

    header = _header(title, summary, meta.get("author"), meta.get("published"), meta.get("updated"), dateline)
    text, paragraphs = header, [Paragraph(0, 0, len(header), None)]
    for n, (para, sec) in enumerate(blocks, start=1):
        text += "\n\n"
        paragraphs.append(Paragraph(n, len(text), len(text) + len(para), sec))
        text += para
    return Article(
        id=article_id,
        title=title,
        text=text,
        paragraphs=tuple(paragraphs),
        author=meta.get("author"),
        published=meta.get("published"),
        updated=meta.get("updated"),
        dateline=dateline,
        summary=summary,
        source_sha256=hashlib.sha256(raw.encode()).hexdigest(),
    )


def _header(title, summary, author, published, updated, dateline) -> str:
    """The metadata as plain sentences, so that it can be retrieved and quoted."""
    parts = [title if _SENTENCE_END.search(title) else title + "."]
    if summary:
        parts.append(summary if _SENTENCE_END.search(summary) else summary + ".")
    if author:
        parts.append(f"The article was written by its author, {author}.")
    if published:
        parts.append(f"It was published on {published}.")
    if updated:
        parts.append(f"It was last updated on {updated}.")
    if dateline:
        parts.append(f"It is datelined {dateline}.")
    return " ".join(parts)


def load_article(path: Path) -> Article:
    try:
        raw = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ArticlesError(f"{path} is not UTF-8 text - save it as UTF-8 and index again") from None
    except OSError as e:
        raise ArticlesError(f"Cannot read {path}: {e.strerror} - check the file and its permissions") from None
    return parse_article(raw, article_id=path.stem)


def load_articles(folder: Path) -> list[Article]:
    """Every article file in `folder`, sorted by name.

    One bad file does not take the others down: a file that cannot be read as an article,
    or whose id (its name without .txt, case ignored) an earlier file has, is skipped with a
    warning naming it. Only when no file can be read is the first one's error raised.

    A symbolic link is skipped with a warning, never followed: whatever it points to
    (/etc/passwd) would be served as an article. `python -m bot add` refuses links alike.
    """
    if folder.exists() and not folder.is_dir():
        raise ArticlesFolderError(
            f"Articles folder {folder} is a file, not a folder - set BOT_ARTICLES_DIR to the folder that holds "
            "the article .txt files"
        )
    if not folder.is_dir():
        raise ArticlesFolderError(
            f"Articles folder {folder} does not exist - create it and put the article .txt files in it, "
            "or set BOT_ARTICLES_DIR to the folder that has them"
        )
    paths: list[Path] = []
    for p in sorted(p for p in folder.iterdir() if p.suffix.lower() in ARTICLE_SUFFIXES):
        if p.is_symlink():
            log.warning(
                "skipped %s: it is a symbolic link, and links in the articles folder are not followed - "
                "put the article file itself in the folder (or `python -m bot add` the file it points to)",
                p.name,
            )
        elif p.is_file():
            paths.append(p)
    if not paths:
        raise ArticlesFolderError(
            f"Articles folder {folder} has no .txt articles - add one (see index/articles/ in the repo)"
        )
    articles: list[Article] = []
    taken: dict[str, Path] = {}
    errors: list[ArticlesError] = []
    # "x.txt" before "x.TXT": the name `bot add` writes keeps the id
    for path in sorted(paths, key=lambda p: (p.stem.lower(), p.suffix != ".txt", p.name)):
        key = path.stem.lower()
        if key in taken:
            log.warning(
                "skipped %s: it has the same id as %s (ids ignore case) - rename or remove one of them",
                path.name,
                taken[key].name,
            )
            continue
        try:
            articles.append(load_article(path))
        except ArticlesError as e:
            errors.append(e)
            log.warning("skipped %s: %s", path.name, e)
            continue
        taken[key] = path
    if not articles:
        raise errors[0]
    return sorted(articles, key=lambda a: a.id)
