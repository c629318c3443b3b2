"""Where an evaluation runs: the configured store, or a temporary one it removes after.

The configured store (BOT_INDEX_DIR or BOT_CHROMA_URL) serves the configured articles
folder; an evaluation over another folder (`--articles DIR`, or BOT_ARTICLES_DIR set
without a store of its own) or over a SQuAD file (whose titles are the articles) indexes
into a temporary folder instead, so it never replaces the user's index.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..core.errors import UsageError
from ..core.settings import Settings


def serves(folder: Path, env=None) -> bool:
    """Does the configured store serve this articles folder? A store set by BOT_INDEX_DIR or
    BOT_CHROMA_URL serves BOT_ARTICLES_DIR; the default store serves the default folder."""
    env = os.environ if env is None else env
    own_store = bool(env.get("BOT_INDEX_DIR") or env.get("BOT_CHROMA_URL"))
    paired = Settings.from_env(env).articles_dir if own_store else Settings().articles_dir
    return Path(folder).resolve() == Path(paired).resolve()


@contextlib.contextmanager
def eval_settings(
    articles: str | None = None,
    squad_articles: dict[str, str] | None = None,
    env=None,
    article_ids: set[str] | None = None,
) -> Iterator[tuple[Settings, bool]]:
    """(the settings to evaluate with, whether the store is temporary).

    `articles`: the folder named by --articles (None: BOT_ARTICLES_DIR or the default);
    `squad_articles`: article texts by id, written into the temporary folder;
    `article_ids`: the articles the dataset names: only they are indexed into a temporary
    store (bbc-dev's 15 of the 95 articles in its folder).
    """
    env = os.environ if env is None else env
    settings = Settings.from_env(env)
    folder = Path(articles) if articles else settings.articles_dir
    if squad_articles is None and articles and not folder.is_dir():
        raise UsageError(f"--articles {folder} is not a folder - name the folder that holds the article .txt files")
    if squad_articles is None and serves(folder, env):
        yield settings, False
        return
    with tempfile.TemporaryDirectory(prefix="bot-eval-") as tmp:
        if squad_articles is not None:
            folder = Path(tmp) / "articles"
            folder.mkdir()
            for article_id, text in squad_articles.items():
                (folder / f"{article_id}.txt").write_text(text, encoding="utf-8")
        elif article_ids and all((folder / f"{a}.txt").is_file() for a in article_ids):
            chosen = Path(tmp) / "articles"
            chosen.mkdir()
            for article_id in sorted(article_ids):
                shutil.copyfile(folder / f"{article_id}.txt", chosen / f"{article_id}.txt")
            folder = chosen
        changes = {
            "articles_dir": folder,
            "index_dir": Path(tmp) / "chroma",
            "chroma_url": None,
            "feedback_path": Path(tmp) / "feedback.jsonl",
        }
        yield Settings(**{**dict(settings), **changes}), True
