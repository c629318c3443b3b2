"""The one registry of answering backends: BOT_LLM names one of them.

"extractive" is the quoted-evidence answerer; every chat model registered in
`bot.llm.backends.CHAT_MODELS` (openai, huggingface, llamacpp) is answered by the
`LLMAnswerer` over that model. The pipeline asks `answerer_for(settings)` and never
branches on a backend's name.
"""

from __future__ import annotations

from ..core.answerer import Answerer
from ..core.errors import ConfigError
from ..llm.backends import CHAT_MODELS
from .extractive import ExtractiveAnswerer

EXTRACTIVE = ExtractiveAnswerer.name


def backend_names() -> tuple[str, ...]:
    """('extractive', 'openai', 'huggingface', 'llamacpp')"""
    return (EXTRACTIVE, *CHAT_MODELS)


def answerer_for(settings) -> Answerer:
    """The `Answerer` that `settings.llm` names; a `ConfigError` naming the choices otherwise."""
    if settings.llm == EXTRACTIVE:
        return ExtractiveAnswerer()
    if settings.llm in CHAT_MODELS:
        from ..llm.answerer import LLMAnswerer  # LangChain's runnables load with the first LLM backend

        return LLMAnswerer(settings)
    raise ConfigError(f"BOT_LLM={settings.llm!r} is not a backend - use one of: {', '.join(backend_names())}")
