"""A GGUF model run in-process by llama-cpp-python, as a LangChain chat model (BOT_LLM=llamacpp)."""

from __future__ import annotations

import atexit
import threading
from collections.abc import Iterator
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

LLAMACPP_CONTEXT = 4096  # five passages of about 100 words, the prompt and the answer fit with room to spare


class LlamaCppChat(BaseChatModel):
    """A GGUF model run in-process by llama-cpp-python, through the model's own chat template."""

    model_path: str
    n_ctx: int = LLAMACPP_CONTEXT
    max_tokens: int  # bot.llm.backends.MAX_TOKENS
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
                messages=self._messages(messages),
                stream=True,
                stop=stop,
                max_tokens=self.max_tokens,
                temperature=self.temperature,
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
        text = "".join(str(c.message.content) for c in self._stream(messages, stop, run_manager))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])
