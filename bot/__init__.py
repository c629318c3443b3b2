"""Ask questions about a news article; every answer cites the passage it comes from.

    >>> import bot
    >>> bot.ask("What is the range of a Tomahawk missile?").response   # doctest: +SKIP

Nothing heavy is imported here: the model and the index load on first use.
"""

from .answer import Answer, Citation
from .errors import BotError


def ask(question, history=None, **kwargs) -> Answer:
    """Answer `question` (with optional chat `history`) about the configured articles."""
    from .qa import ask as _ask

    return _ask(question, history, **kwargs)


__all__ = ["Answer", "BotError", "Citation", "ask"]
