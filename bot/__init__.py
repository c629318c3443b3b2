"""Ask questions about a news article; every answer cites the passage it comes from.

    >>> import bot
    >>> bot.ask("What is the range of a Tomahawk missile?").response   # doctest: +SKIP

Nothing heavy is imported here: the model and the index load on first use.

The package is layered; a module imports only from its own package and those below it
(tests/test_layers.py checks this, and that there is no import circle), lowest first:

    core        errors, settings, the Answer contract and the Answerer interface
    text        article parsing, the spaCy pipeline, words (tokens, stems, stop words)
    ingest      adding articles: fetching, formats, the articles folder
    store       chunking, embeddings, Chroma builds, BM25, opening the index
    retrieve    follow-up rewriting, hybrid retrieval
    reading     an article's analysis, the question's, the learned ranker and refusal, short answers
    llm         chat-model backends, prompts, calls within a budget, verification, the LLM answerer
    answering   guards, the extractive answerer, citations, the backend registry, the pipeline
    evaluation  datasets, metrics, calibration, runner, summary, gates, report
    training    the reader's training data, the joint reader's fine-tuning, the ranker and refusal
    app         CLI, batch, the Gradio UI, rendering, feedback

A question flows down through one place, `bot.answering.pipeline`:
guards -> rewrite -> retrieve -> evidence (the reader) -> answerer -> Answer.
"""

from .core.answer import Answer, Citation
from .core.errors import BotError


def ask(question, history=None, **kwargs) -> Answer:
    """Answer `question` (with optional chat `history`) about the configured articles."""
    from .answering.pipeline import ask as _ask

    return _ask(question, history, **kwargs)


__all__ = ["Answer", "BotError", "Citation", "ask"]
