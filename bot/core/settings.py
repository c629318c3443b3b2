"""Configuration: environment variables read once into a frozen object.

>>> Settings.from_env({"BOT_TOP_K": "3"}).top_k
3
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError

# Chosen on the dev set (tests/eval/article.jsonl): recall@5 of the gold paragraph is
# at its ceiling while the answerer still sees few enough passages to stay precise.
DEFAULT_TOP_K = 5
MAX_QUESTION_CHARS = 2000


def http_url(raw: str):
    """The parsed URL when `raw` is an http(s) URL with a host and a valid port, else None."""
    from urllib.parse import urlparse

    try:
        u = urlparse(raw)
        return u if u.scheme in ("http", "https") and u.hostname and (u.port or 0) >= 0 else None
    except ValueError:  # "http://[::1", "http://host:99999"
        return None


def _url(env, name: str, example: str) -> str | None:
    """An http(s) URL, or None when unset: 'localhost:8080' is refused here, not reported
    later as a server that "could not be reached"."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return None
    if http_url(raw) is None:
        raise ConfigError(f"{name}={raw!r} is not an http(s) URL - set it like {example}")
    return raw


def _number(env, name: str, default, low, high, kind=int):
    """A numeric variable within [low, high]; `kind` is int or float."""
    raw = env.get(name)
    if raw in (None, ""):
        return default
    what = "a whole number" if kind is int else "a number"
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not {what} - set it to a number from {low} to {high}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name}={value} is out of range - set it to a number from {low} to {high}")
    return value


@dataclass(frozen=True)
class Settings:
    articles_dir: Path = Path("index/articles")
    index_dir: Path = Path("index/chroma")
    chroma_url: str | None = None
    embedding_model: str | None = None  # None: the bundled all-MiniLM-L6-v2
    top_k: int = DEFAULT_TOP_K
    llm: str = "extractive"  # a backend of the registry, bot.answering.backends (checked there)
    llm_model: str | None = None
    llm_base_url: str | None = None
    llm_timeout_s: float = 30.0
    feedback_path: Path | None = None
    secrets: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_env(cls, env=None) -> Settings:
        env = os.environ if env is None else env
        llm = (env.get("BOT_LLM") or "extractive").strip().lower()
        index_dir = Path(env.get("BOT_INDEX_DIR") or "index/chroma")
        feedback = env.get("BOT_FEEDBACK_PATH")
        return cls(
            articles_dir=Path(env.get("BOT_ARTICLES_DIR") or "index/articles"),
            index_dir=index_dir,
            chroma_url=_url(env, "BOT_CHROMA_URL", "http://127.0.0.1:8000"),
            embedding_model=env.get("BOT_EMBEDDING_MODEL") or None,
            top_k=_number(env, "BOT_TOP_K", DEFAULT_TOP_K, 1, 50),
            llm=llm,
            llm_model=env.get("BOT_LLM_MODEL") or None,
            llm_base_url=_url(env, "BOT_LLM_BASE_URL", "http://127.0.0.1:8080/v1"),
            llm_timeout_s=_number(env, "BOT_LLM_TIMEOUT_S", 30.0, 0.1, 600.0, float),
            feedback_path=Path(feedback) if feedback else index_dir.parent / "feedback.jsonl",
            secrets={k: env[k] for k in ("OPENAI_API_KEY", "HF_TOKEN") if env.get(k)},
        )
