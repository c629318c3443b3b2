"""Shared fixtures. Every test runs offline against a private index folder.

The model and the index are loaded once per session (`qa`); tests that change the
articles or the index get their own folders (`make_settings`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED_ARTICLES = ROOT / "index" / "articles"
EVAL_DIR = ROOT / "tests" / "eval"
SHARED_EVAL = ROOT.parent / "shared" / "eval"  # the multi-article evaluation data, beside the repository


def paragraph_text(article, number: int) -> str:
    """The text of ¶number (¶0 is the details header, so the index is the number)."""
    p = article.paragraphs[number]
    return article.text[p.start : p.end]


def markers_in(text: str) -> list[int]:
    """[n] markers in order of appearance: markers_in('a [2] b [1][2]') -> [2, 1, 2]."""
    return [int(n) for n in re.findall(r"\[(\d{1,3})\]", text)]


def read_jsonl(path) -> list[dict]:
    """The JSON lines of a file; [] when it does not exist."""
    path = Path(path)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="session")
def session_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("bot")


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, session_dir):
    """No test reads the user's configuration or writes into the repo's index folder."""
    for name in (
        "BOT_CHROMA_URL",
        "BOT_EMBEDDING_MODEL",
        "BOT_TOP_K",
        "BOT_LLM",
        "BOT_LLM_MODEL",
        "BOT_LLM_BASE_URL",
        "BOT_LLM_TIMEOUT_S",
        "OPENAI_API_KEY",
        "HF_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BOT_ARTICLES_DIR", str(SEED_ARTICLES))
    monkeypatch.setenv("BOT_INDEX_DIR", str(session_dir / "chroma"))
    monkeypatch.setenv("BOT_FEEDBACK_PATH", str(session_dir / "feedback.jsonl"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "False")


@pytest.fixture(scope="session")
def embedder():
    from bot.store.embeddings import Embedder

    return Embedder()


@pytest.fixture(scope="session")
def qa(session_dir, embedder):
    """The default pipeline over the seed article, index built once for the session."""
    from bot.answering.pipeline import ArticleQA
    from bot.core.settings import Settings

    settings = Settings(
        articles_dir=SEED_ARTICLES, index_dir=session_dir / "chroma", feedback_path=session_dir / "feedback.jsonl"
    )
    pipeline = ArticleQA(settings)
    pipeline.embedder = embedder
    pipeline.index(progress=False)
    return pipeline


@pytest.fixture
def make_settings(tmp_path):
    """Settings over a private copy of the seed article(s) and a private index folder."""
    from bot.core.settings import Settings

    def make(**changes):
        articles = tmp_path / "articles"
        if not articles.exists():
            shutil.copytree(SEED_ARTICLES, articles)
        base = Settings(articles_dir=articles, index_dir=tmp_path / "chroma", feedback_path=tmp_path / "feedback.jsonl")
        return Settings(**{**dict(base), **changes})

    return make


class CountingEmbedder:
    """The real embedder, counting the passages it embeds (a build that copies vectors
    from an earlier one embeds fewer)."""

    def __init__(self, inner):
        self.inner, self.embedded = inner, 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def embed_chunks(self, chunks, progress=False):
        self.embedded += len(chunks)
        return self.inner.embed_chunks(chunks, progress)


NEEDED_IN_CI = ("browser", "llm", "load", "ragas", "shared", "space")


def needs_shared() -> Path:
    """../shared/eval, or a skip naming it (a failure under CI=true: tests marked `shared`)."""
    if not (SHARED_EVAL / "articles").is_dir():
        pytest.skip(f"needs the shared evaluation data in {SHARED_EVAL} (BBC articles, SQuAD Normans) beside the repo")
    return SHARED_EVAL


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Outside CI a browser, local-model or shared-data test may skip with what it needs;
    under CI=true such a skip is a failure, so a missing install step cannot pass unseen."""
    outcome = yield
    report = outcome.get_result()
    if (
        report.skipped
        and os.environ.get("CI", "").lower() not in ("", "0", "false")
        and any(item.get_closest_marker(m) for m in NEEDED_IN_CI)
    ):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.longrepr = f"skipped under CI=true, where it must run: {reason}"


def qa_over(folder: Path, embedder):
    """An ArticleQA over `folder`/articles with its index and feedback log in `folder`,
    sharing the session's loaded embedding model."""
    from bot.answering.pipeline import ArticleQA
    from bot.core.settings import Settings

    qa = ArticleQA(
        Settings(articles_dir=folder / "articles", index_dir=folder / "chroma", feedback_path=folder / "feedback.jsonl")
    )
    qa.embedder = qa.reader.embedder = embedder
    return qa
