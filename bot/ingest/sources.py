"""New articles -> normalised .txt files in the articles folder, the source of truth.

Sources are files, folders of files and URLs; formats.py turns each one's bytes into
the seed's plain form.

Adding is incremental: an article whose cleaned text is already in the folder is
skipped, a changed one replaces the file of the same name. Each source is refused on
its own (binary, empty, huge, unknown encoding, unreachable URL) while the others are
still added.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from ..core.errors import ArticlesError
from ..text.article import Article, load_articles, parse_article, too_long
from .fetch import MAX_BYTES, FetchOptions, Refused, fetch
from .files import read_regular_file
from .folder import changing, origins, save_origins, write_atomically
from .formats import TEXT_SUFFIXES, normalise, sniff_binary


@dataclass(frozen=True)
class Outcome:
    source: str
    status: str  # "added" | "replaced" | "unchanged" | "removed" | "refused"
    article_id: str | None = None
    detail: str = ""

    @property
    def line(self) -> str:
        """'added     news.html -> harbour-bridge (Harbour Bridge Reopens)', one line whatever
        the names in it hold (see `printable`)."""
        target = f" -> {self.article_id}" if self.article_id and self.status != "refused" else ""
        detail = (
            f" ({self.detail})"
            if self.detail and self.status != "refused"
            else (f": {self.detail}" if self.detail else "")
        )
        return printable(f"{self.status:<9} {self.source}{target}{detail}")


def printable(text: str) -> str:
    r"""`text` with every character that is not printable escaped as Python writes it, so a
    file name with a newline, a terminal escape or a right-to-left mark cannot print a line
    that looks like another one.

    >>> print(printable("a.txt\nadded     /etc/passwd -> passwd \x1b[2K\u202e.txt Café"))
    a.txt\nadded     /etc/passwd -> passwd \x1b[2K\u202e.txt Café
    """
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


# Latin letters that Unicode does not decompose into a base letter and a mark.
_LATIN = str.maketrans({"æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "ł": "l", "ı": "i"})


def slug(name: str) -> str:
    """An article id from a file or URL name: 'Trump & Putin.HTML' -> 'trump-putin-html',
    'Café Straße' -> 'cafe-strasse'. A name with characters that have no Latin spelling
    here (Cyrillic, Greek, Chinese, emoji…; spaces and punctuation aside) gets a short hash
    of the name appended, so two such names get two ids and one name always the same id
    (its case and Unicode normal form ignored, as ids ignore case).

    >>> slug("Новости"), slug("Спорт"), slug("НОВОСТИ"), slug("Ω 2025"), slug("!!! — ?")
    ('article-b936c407', 'article-fbcd420a', 'article-b936c407', '2025-98e25949', 'article')
    """
    name = unicodedata.normalize("NFC", name).casefold()
    latin = "".join(c for c in unicodedata.normalize("NFKD", name.translate(_LATIN)) if not unicodedata.combining(c))
    s = re.sub(r"[^a-z0-9]+", "-", latin).strip("-")[:80].rstrip("-")
    if all(c.isascii() or unicodedata.category(c)[0] in "ZP" for c in latin):
        return s or "article"
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{(s or 'article')[:71].rstrip('-')}-{digest}"


# --- URLs -------------------------------------------------------------------------------


def url_id(url: str) -> str:
    """'https://x.org/news/2025/harbour-bridge.html' -> 'harbour-bridge'."""
    u = urlparse(url)
    parts = [p for p in u.path.split("/") if p]
    for part in reversed(parts):
        stem = slug(part.rsplit(".", 1)[0] if "." in part else part)
        if stem not in ("index", "article", "amp") and not stem.isdigit():
            return stem
    return slug(u.hostname or "article")


# --- adding and removing ----------------------------------------------------------------


def expand(sources: list[str]) -> list[tuple[str, Path | None]]:
    """Each source as (label, path); a folder gives everything in it but folders (hidden
    entries skipped, links not followed), so that a link, FIFO or device in it is refused
    by name rather than passed over; a URL gives no path."""
    out: list[tuple[str, Path | None]] = []
    for s in sources:
        if re.match(r"^[a-z][a-z0-9+.-]*://", s, re.I):
            out.append((s, None))
            continue
        p = Path(s)
        if p.is_dir() and not p.is_symlink():
            entries = sorted(
                f
                for f in p.rglob("*")
                if (f.is_symlink() or not f.is_dir()) and not any(x.startswith(".") for x in f.relative_to(p).parts)
            )
            out.extend((str(f), f) for f in entries)
        else:
            out.append((s, p))
    return out


def read_source(label: str, path: Path | None, options: FetchOptions) -> tuple[str, str]:
    """(article id, normalised text) of one source, or Refused."""
    if path is None:
        data, fetched_kind, final = fetch(label, options)
        return _fits(url_id(final), normalise(data, fetched_kind))
    kind = TEXT_SUFFIXES.get(path.suffix.lower())
    if not os.path.lexists(path) and re.match(r"^[a-z][a-z0-9+.-]+:", label, re.I):
        raise Refused("only http:// and https:// URLs can be fetched")  # "javascript:…", "mailto:…": not a path
    data = read_regular_file(path, MAX_BYTES)  # links, devices and FIFOs refused; the limit counts bytes read
    if kind is None:
        what = sniff_binary(data)
        raise Refused((f"it is {what}; " if what else "") + "only .txt, .md and .html articles can be added")
    return _fits(slug(path.stem), normalise(data, kind))


def _fits(article_id: str, text: str) -> tuple[str, str]:
    """(article id, text) when the text fits in one article, else Refused saying why."""
    why = too_long(text)
    if why:
        raise Refused(why)
    return article_id, text


def _existing(folder: Path) -> dict[str, Article]:
    """The readable articles (a bad file is skipped with a warning; none readable: none)."""
    try:
        return {a.id: a for a in load_articles(folder)}
    except ArticlesError:
        return {}


def origin(label: str, path: Path | None) -> str:
    """Where a source comes from, to tell an update from another source of the same name."""
    return label if path is None else str(path.resolve())


def _files_of(folder: Path, article_id: str) -> list[Path]:
    """The .txt files whose id is `article_id`, case ignored ('x.txt', 'X.TXT')."""
    return [p for p in folder.iterdir() if p.suffix.lower() == ".txt" and p.stem.lower() == article_id.lower()]


def add(
    sources: list[str], articles_dir: Path, options: FetchOptions | None = None, *, replace: bool = False
) -> list[Outcome]:
    """Add each source to the folder; one Outcome per source, in order. An id taken by an
    article from another source is refused unless `replace`; one add at a time per folder."""
    options = options or FetchOptions.from_env()
    with changing(articles_dir):
        return _add(sources, articles_dir, options, replace)


def _add(sources: list[str], articles_dir: Path, options: FetchOptions, replace: bool) -> list[Outcome]:
    existing = _existing(articles_dir)
    by_hash = {a.content_hash: a.id for a in existing.values()}
    by_key = {article_id.lower(): article_id for article_id in existing}
    came_from = origins(articles_dir)
    written: dict[str, str] = {}  # id -> source, in this run
    outcomes = []
    for label, path in expand(sources):
        try:
            article_id, text = read_source(label, path, options)
            base, n = article_id, 1
            while article_id in written and written[article_id] != label:
                n += 1
                article_id = f"{base}-{n}"
            try:
                article = parse_article(text, article_id=article_id)
            except ArticlesError as e:
                raise Refused(
                    str(e).split(" - ")[0].replace(f"Article {article_id!r} ", "it ") + " - check the source"
                ) from None
        except Refused as e:
            outcomes.append(Outcome(label, "refused", detail=str(e)))
            continue
        same = by_hash.get(article.content_hash)
        if same is not None:
            outcomes.append(Outcome(label, "unchanged", same, "same text already in the folder"))
            continue
        source = origin(label, path)
        taken = by_key.get(article_id.lower())
        if taken is not None and came_from.get(taken) != source and not replace and written.get(taken) != label:
            was = f" from {came_from[taken]}" if taken in came_from else ""
            detail = (
                f"the id {taken!r} is taken by another article (“{existing[taken].title}”{was}) - add it with "
                "--replace to replace that article, or rename the source"
            )
            outcomes.append(Outcome(label, "refused", detail=detail))
            continue
        status = "replaced" if taken is not None else "added"
        write_atomically(articles_dir / f"{article_id}.txt", text)
        for other in _files_of(articles_dir, article_id):  # 'Story.txt' replaced by 'story.txt'
            if other.name != f"{article_id}.txt":
                other.unlink()
        old = existing.pop(taken, None) if taken is not None else None
        if old is not None:
            by_hash.pop(old.content_hash, None)
            came_from.pop(taken, None)  # type: ignore[arg-type]
        existing[article_id] = article
        by_key[article_id.lower()] = article_id
        by_hash[article.content_hash] = article_id
        came_from[article_id] = source
        save_origins(articles_dir, came_from)
        written[article_id] = label
        outcomes.append(Outcome(label, status, article_id, article.title))
    return outcomes


def remove(ids: list[str], articles_dir: Path) -> list[Outcome]:
    """Delete each article by id (case ignored), one add or remove at a time per folder."""
    if not articles_dir.is_dir():
        return [
            Outcome(raw, "refused", detail=f"no article with that id - {articles_dir} has no articles") for raw in ids
        ]
    with changing(articles_dir):
        came_from = origins(articles_dir)
        outcomes = []
        for raw in ids:
            article_id = raw[:-4] if raw.lower().endswith(".txt") else raw
            targets = [] if "/" in article_id else [p for p in _files_of(articles_dir, article_id) if p.is_file()]
            if not targets:
                known = sorted(p.stem for p in articles_dir.glob("*.txt"))
                hint = ", ".join(known[:5]) + (" …" if len(known) > 5 else "")
                outcomes.append(
                    Outcome(raw, "refused", detail=f"no article with that id - the ids are the file names: {hint}")
                )
                continue
            for target in targets:
                target.unlink()
                came_from.pop(target.stem, None)
            save_origins(articles_dir, came_from)
            outcomes.append(Outcome(raw, "removed", targets[0].stem))
        return outcomes
