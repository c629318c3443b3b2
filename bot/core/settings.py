"""Configuration: environment variables read once into a frozen, validated object.

`Settings` is a pydantic-settings model: the `BOT_` variables map to its fields, pydantic
checks the types, the bounds and the URLs, and the two API secrets are `SecretStr` (shown
as '**********' in any repr or log). A bad value is a `ConfigError` naming the variable
and how to fix it, not pydantic's report:

>>> Settings.from_env({"BOT_TOP_K": "3"}).top_k
3
>>> Settings.from_env({"BOT_TOP_K": "0"})
Traceback (most recent call last):
...
bot.core.errors.ConfigError: BOT_TOP_K=0 is out of range - set it to a number from 1 to 50
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from annotated_types import Ge, Le
from pydantic import AfterValidator, BeforeValidator, Field, HttpUrl, SecretStr, TypeAdapter, ValidationError
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict
from pydantic_settings.sources.utils import parse_env_vars

from .errors import ConfigError
from .secrets import guard_logging, redact_unparsed, remember, remember_credentials

# Chosen on the dev set (tests/eval/article.jsonl): recall@5 of the gold paragraph is
# at its ceiling while the answerer still sees few enough passages to stay precise.
DEFAULT_TOP_K = 5
# Everything that reaches search is bounded, the history as well as the question: one 5 MB
# turn cost 20 s and 380 MB. Follow-ups read the last few turns; an answer is a few sentences.
MAX_QUESTION_CHARS = 2000
MAX_HISTORY_TURNS = 40
MAX_HISTORY_TURN_CHARS = 4000


SECRET_NAMES = ("OPENAI_API_KEY", "HF_TOKEN")  # read without the BOT_ prefix, as the providers name them


def http_url(raw: str):
    """The parsed URL when `raw` is an http(s) URL with a host and a valid port, else None."""
    from urllib.parse import urlparse

    try:
        u = urlparse(raw)
        return u if u.scheme in ("http", "https") and u.hostname and (u.port or 0) >= 0 else None
    except ValueError:  # "http://[::1", "http://host:99999"
        return None


_HTTP_URL = TypeAdapter(HttpUrl)


def _blank_is_none(raw: Any) -> Any:
    return (raw.strip() or None) if isinstance(raw, str) else raw


def _checked_url(raw: str | None) -> str | None:
    """pydantic's HttpUrl decides; the string is kept as written (HttpUrl would add a '/').
    'localhost:8080' is refused here, not reported later as a server that "could not be reached"."""
    if raw is not None:
        try:
            _HTTP_URL.validate_python(raw)
        except ValidationError:
            raise PydanticCustomError("http_url", "not an http(s) URL") from None
    return raw


Url = Annotated[str | None, BeforeValidator(_blank_is_none), AfterValidator(_checked_url)]


class _Environment(EnvSettingsSource):
    """pydantic-settings' environment source over any mapping (os.environ, or a test's dict)."""

    def __init__(self, settings_cls: type[BaseSettings], env: Mapping[str, str]):
        self._env = env
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(self._env, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str)


class Settings(BaseSettings):
    """What the bot runs with. `Settings(...)` takes keywords only and reads no environment;
    `Settings.from_env()` reads the `BOT_` variables (README, "Configuration")."""

    model_config = SettingsConfigDict(env_prefix="BOT_", env_ignore_empty=True, frozen=True, extra="forbid")

    articles_dir: Path = Path("index/articles")
    index_dir: Path = Path("index/chroma")
    chroma_url: Url = Field(None, examples=["http://127.0.0.1:8000"])
    embedding_model: str | None = None  # None: the bundled all-MiniLM-L6-v2
    top_k: int = Field(DEFAULT_TOP_K, ge=1, le=50)
    # a backend of the registry, bot.answering.backends (checked there)
    llm: Annotated[str, BeforeValidator(lambda v: (v.strip().lower() or "extractive") if isinstance(v, str) else v)] = (
        "extractive"
    )
    llm_model: str | None = None
    llm_base_url: Url = Field(None, examples=["http://127.0.0.1:8080/v1"])
    llm_timeout_s: float = Field(30.0, ge=0.1, le=600.0)
    feedback_path: Path | None = None  # from_env: feedback.jsonl beside index_dir
    secrets: dict[Literal["OPENAI_API_KEY", "HF_TOKEN"], SecretStr] = Field(
        default_factory=dict, repr=False, exclude=True
    )

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as e:
            raise ConfigError(_message(type(self), e)) from None
        for url in (self.chroma_url, self.llm_base_url):  # masked in every output from now on
            remember_credentials(url)
        for secret in self.secrets.values():
            remember(secret.get_secret_value())
        guard_logging()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Keywords only: the environment is read by from_env, from the mapping it is given."""
        return (init_settings,)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        values = _Environment(cls, env)()
        values["secrets"] = {name: env[name] for name in SECRET_NAMES if env.get(name)}
        settings = cls(**values)
        if settings.feedback_path is None:
            settings = settings.model_copy(update={"feedback_path": settings.index_dir.parent / "feedback.jsonl"})
        return settings


def _message(cls: type[Settings], error: ValidationError) -> str:
    """The first problem in pydantic's report, as 'VAR=value is ... - set it ...'."""
    problem = error.errors()[0]
    name = str(problem["loc"][0])
    raw = problem["input"]
    var = name if name == "secrets" else f"BOT_{name.upper()}"
    field = cls.model_fields.get(name)
    if field is not None and problem["type"] == "http_url":
        return f"{var}={redact_unparsed(raw)!r} is not an http(s) URL - set it like {(field.examples or ['http://host:port'])[0]}"
    if field is not None and field.annotation in (int, float):
        kind = int if field.annotation is int else float
        bounds = {type(m): m for m in field.metadata}
        needed = f"set it to a number from {bounds[Ge].ge} to {bounds[Le].le}"
        if problem["type"] in ("int_parsing", "int_from_float", "float_parsing", "int_type", "float_type"):
            what = "a whole number" if kind is int else "a number"
            return f"{var}={raw!r} is not {what} - {needed}"
        return f"{var}={kind(raw)} is out of range - {needed}"
    return f"{var}={raw!r} is not valid ({problem['msg']}) - see the README's configuration table"
