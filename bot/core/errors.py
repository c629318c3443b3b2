"""The bot's exceptions. Every message says what went wrong and what to do about it.

The logic raises these; the edges (CLI, UI) only turn them into a line of text.
"""


class BotError(Exception):
    """Base class: a problem the user can fix, with a message that says how. Its text,
    wherever it is shown, has every secret masked (bot.core.secrets)."""

    exit_code = 1

    def __str__(self) -> str:
        from .secrets import redact

        return redact(super().__str__()) or ""


class UsageError(BotError):
    """The input itself is wrong (empty question, bad batch line, bad flag)."""

    exit_code = 2


class QuestionError(UsageError):
    """A question that cannot be asked as written."""


class ArticlesError(BotError):
    """The articles folder is missing, empty or unreadable."""


class StoreError(BotError):
    """The vector index is missing, corrupt, foreign or unreachable."""


class IndexChanged(StoreError):
    """The build being read was replaced by another process meanwhile: open the new one and ask again."""


class ModelError(BotError):
    """The embedding model is missing or not the one expected."""


class LLMError(BotError):
    """A configured language model failed; the bot falls back and says why."""


class ConfigError(UsageError):
    """A configuration variable has a value the bot cannot use."""


class ArticlesFolderError(ArticlesError, ConfigError):
    """The articles folder setting names no folder of articles: a usage error (exit 2)."""


class IndexFolderError(StoreError, ConfigError):
    """The index folder setting names something that is not an index folder: a usage error (exit 2)."""
