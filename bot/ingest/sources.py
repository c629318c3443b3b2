"""New articles -> normalised .txt files in the articles folder, the source of truth.

Sources are files, folders of files and URLs; formats.py turns each one's bytes into
the seed's plain form.

Adding is incremental: an article whose cleaned text is already in the folder is
skipped, a changed one replaces the file of the same name. Each source is refused on
its own (binary, empty, huge, unknown encoding, unreachable URL) while the others are
still added.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from ..core.errors import ArticlesError
from ..text.article import Article, load_articles, parse_article
from .fetch import MAX_BYTES, FetchOptions, Refused, fetch
from .formats import TEXT_SUFFIXES, normalise, sniff_binary


@dataclass(frozen=True)
class Outcome:
    source: str
    status: str  # "added" | "replaced" | "unchanged" | "removed" | "refused"
    article_id: str | None = None
    detail: str = ""

    @property
    def line(self) -> str:
        """'added     news.html -> harbour-bridge (Harbour Bridge Reopens)'"""
        target = f" -> {self.article_id}" if self.article_id and self.status != "refused" else ""
        detail = (
            f" ({self.detail})"
            if self.detail and self.status != "refused"
            else (f": {self.detail}" if self.detail else "")
        )
        return f"{self.status:<9} {self.source}{target}{detail}"


def slug(name: str) -> str:
    """An article id from a file or URL name: 'Trump & Putin.HTML' -> 'trump-putin'."""
    s = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return s[:80].rstrip("-") or "article"


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
    """Each source as (label, path); a folder gives its files (hidden ones skipped), a URL no path."""
    out: list[tuple[str, Path | None]] = []
    for s in sources:
        if re.match(r"^[a-z][a-z0-9+.-]*://", s, re.I):
            out.append((s, None))
            continue
        p = Path(s)
        if p.is_dir():
            files = sorted(
                f for f in p.rglob("*") if f.is_file() and not any(x.startswith(".") for x in f.relative_to(p).parts)
            )
            out.extend((str(f), f) for f in files)
        else:
            out.append((s, p))
    return out


def read_source(label: str, path: Path | None, options: FetchOptions) -> tuple[str, str]:
    """(article id, normalised text) of one source, or Refused."""
    if path is None:
        data, fetched_kind, final = fetch(label, options)
        return url_id(final), normalise(data, fetched_kind)
    kind = TEXT_SUFFIXES.get(path.suffix.lower())
    if not path.exists():
        if re.match(r"^[a-z][a-z0-9+.-]+:", label, re.I):  # "javascript:…", "mailto:…": a URL, not a path
            raise Refused("only http:// and https:// URLs can be fetched")
        raise Refused("no such file or folder")
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise Refused(f"{size / 1e6:.1f} MB is too large for one article (limit {MAX_BYTES // 2**20} MB)")
        data = path.read_bytes()
    except OSError as e:
        raise Refused(f"cannot read it ({e.strerror}) - check its permissions") from None
    if kind is None:
        what = sniff_binary(data)
        raise Refused((f"it is {what}; " if what else "") + "only .txt, .md and .html articles can be added")
    return slug(path.stem), normalise(data, kind)


def _existing(folder: Path) -> dict[str, Article]:
    if not folder.is_dir() or not any(folder.glob("*.txt")):
        return {}
    return {a.id: a for a in load_articles(folder)}


def add(sources: list[str], articles_dir: Path, options: FetchOptions | None = None) -> list[Outcome]:
    """Add each source to the folder; one Outcome per source, in order."""
    options = options or FetchOptions.from_env()
    articles_dir.mkdir(parents=True, exist_ok=True)
    existing = _existing(articles_dir)
    by_hash = {a.content_hash: a.id for a in existing.values()}
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
        status = "replaced" if article_id in existing else "added"
        target = articles_dir / f"{article_id}.txt"
        tmp = articles_dir / f".{article_id}.txt.partial"
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
        old = existing.get(article_id)
        if old is not None:
            by_hash.pop(old.content_hash, None)
        existing[article_id] = article
        by_hash[article.content_hash] = article_id
        written[article_id] = label
        outcomes.append(Outcome(label, status, article_id, article.title))
    return outcomes


def remove(ids: list[str], articles_dir: Path) -> list[Outcome]:
    outcomes = []
    for raw in ids:
        article_id = raw[:-4] if raw.endswith(".txt") else raw
        target = articles_dir / f"{article_id}.txt"
        if "/" in article_id or not target.is_file():
            known = sorted(p.stem for p in articles_dir.glob("*.txt"))
            hint = ", ".join(known[:5]) + (" …" if len(known) > 5 else "")
            outcomes.append(
                Outcome(raw, "refused", detail=f"no article with that id - the ids are the file names: {hint}")
            )
            continue
        target.unlink()
        outcomes.append(Outcome(raw, "removed", article_id))
    return outcomes
