"""Reading one article for one question, end to end: analyse the question, take the
candidate sentences, featurise them, rank them, decide whether the article answers, and
pull out the short answer. Each stage is timed.

The same `prepare` feeds training (bot.training.train), so the features the models
were fitted on are the features they score here.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core import loading
from ..text.nlp import Sentence
from . import joint, passages
from . import tokens as tok
from .analysis import ArticleAnalysis, analyse_article, cache_key
from .candidates import Retrieval, retrieve
from .features import featurize, span_columns
from .model import Models, answer_features
from .question import QuestionInfo, analyse
from .short_answer import short_answer


@dataclass
class Prepared:
    """Everything about one question up to (not including) the learned models."""

    info: QuestionInfo
    retrieval: Retrieval
    X: np.ndarray  # candidate features, one row per candidate
    timings: dict[str, float] = field(default_factory=dict)  # ms per stage


@dataclass
class Reading:
    best: Sentence  # the ranker's choice, even when refused
    short_answer: str | None
    refused: bool
    p_answerable: float
    timings: dict[str, float]


@dataclass(frozen=True)
class Asked:
    """What the reader makes of a question whatever the article: its analysis and its query's
    vectors. Reading several articles for one question makes it once."""

    info: QuestionInfo
    qvec: np.ndarray
    qtok: np.ndarray
    pieces: list[str]
    timings: dict[str, float]


def analyse_question(text: str, history: list[dict], model) -> Asked:
    """The question's analysis and query vectors, timed."""
    t0 = time.perf_counter()
    info = analyse(text, history)
    t1 = time.perf_counter()
    qvec, qtok, pieces = tok.encode_query(model, info.query)
    t2 = time.perf_counter()
    return Asked(info, qvec, qtok, pieces, {"analyse": (t1 - t0) * 1e3, "embed": (t2 - t1) * 1e3})


def prepare(
    text: str, history: list[dict], analysis: ArticleAnalysis, model, asked: Asked | None = None
) -> Prepared | None:
    """Question analysis, candidates and features; None for an article with no sentence.
    `asked`: the question already analysed (`analyse_question`), when several articles are read for it."""
    if not analysis.sentences:
        return None
    asked = asked or analyse_question(text, history, model)
    info, qvec, qtok, pieces = asked.info, asked.qvec, asked.qtok, asked.pieces
    t2 = time.perf_counter()
    ret = retrieve(analysis, qvec, info.focus)
    X = featurize(info, analysis, ret, qtok, pieces)
    t3 = time.perf_counter()
    timings = {**asked.timings, "features": (t3 - t2) * 1e3}
    return Prepared(info, ret, X, timings)


def read_jointly(prep: Prepared, analysis: ArticleAnalysis, model: joint.JointModel):
    """The joint reader over the top few candidates' passages: the features with its
    columns, the passages and its reading of each."""
    t0 = time.perf_counter()
    windows = [passages.window(analysis.sentences, c.sentence) for c in prep.retrieval.candidates[: joint.TOP]]
    reads = model.read(prep.info.query, [w.text for w in windows])
    prep.timings["joint"] = (time.perf_counter() - t0) * 1e3
    n = len(prep.X)
    spans = span_columns(prep.info, analysis.sentences, reads, windows, n)
    return np.hstack([prep.X, passages.columns(reads, windows, n), spans]), windows, reads


def decide(prep: Prepared, analysis: ArticleAnalysis, models: Models) -> Reading:
    """The joint reader's reading, the ranker's choice of sentence, whether to answer, and
    the short answer (from the reader's spans in that sentence, when it read it)."""
    X, windows, reads = read_jointly(prep, analysis, models.joint_reader)
    p = models.ranker.proba(X)
    top = int(np.argmax(p))
    p_answerable = float(models.answerability.proba(answer_features(X, p)[None, :])[0])
    refused = p_answerable < models.threshold
    best = analysis.sentences[prep.retrieval.candidates[top].sentence]
    w, r = (windows[top], reads[top]) if top < len(reads) else (None, None)
    short = None if refused else short_answer(prep.info, best, w, r, float(p[top]))
    return Reading(best, short, refused, p_answerable, prep.timings)


def overlaps(s: Sentence, spans: list[tuple[int, int]]) -> bool:
    """A sentence is gold when it holds at least half of a gold span (or half of itself
    lies in one): robust to sentence boundaries that differ from the annotator's.

    >>> s = Sentence(0, 10, 20, "x" * 10, 1, False)
    >>> overlaps(s, [(12, 30)]), overlaps(s, [(19, 40)])
    (True, False)
    """
    for a, b in spans:
        inter = min(s.end, b) - max(s.start, a)
        if inter > 0 and inter >= 0.5 * min(b - a, s.end - s.start):
            return True
    return False


class Reader:
    """The learned reader of one process: its weights, and each article's analysis (made at
    index time, kept for the most recently read articles, cached on disk beside the index)."""

    # Analyses kept in memory; the rest are read back from the disk cache in about 5 ms each
    # (docs/benchmarks.md), against some 75 ms for the joint reader's pass over one article, so
    # a small cache costs an archive little time and saves it about 100 MB per 256 articles.
    KEEP = 32
    WARM = 256  # articles analysed when an index opens (into the disk cache), at most

    def __init__(self, embedder, cache_dir: Path | None, models: Models | None = None):
        self.embedder = embedder
        self.cache_dir = cache_dir
        self._models = models
        self._lock = threading.Lock()
        self._analyses: OrderedDict[tuple[str, str], ArticleAnalysis] = OrderedDict()

    @property
    def models(self) -> Models:
        if self._models is None:
            with loading.LOCK:  # two first questions at once load the weights once
                if self._models is None:
                    self._models = Models.load()
        return self._models

    @property
    def model(self):
        """The SentenceTransformer that encodes questions and sentences."""
        return self.embedder.model

    def analysis(self, article) -> ArticleAnalysis:
        """The article's analysis, made once per text."""
        key = (article.id, article.content_hash)
        with self._lock:
            if key in self._analyses:
                self._analyses.move_to_end(key)
                return self._analyses[key]
        made = analyse_article(article, self.embedder, self.cache_dir)
        with self._lock:
            self._analyses[key] = made
            while len(self._analyses) > self.KEEP:
                self._analyses.popitem(last=False)
        return made

    def warm(self, articles) -> None:
        """Analyse the articles now (at index time) rather than at their first question."""
        self.models  # noqa: B018 - load the weights too
        for article in list(articles)[: self.WARM if self.cache_dir is not None else self.KEEP]:
            self.analysis(article)

    def prune(self, articles) -> int:
        """Remove the cached analyses of texts no longer among `articles` (an article
        removed or changed); returns how many files went."""
        if self.cache_dir is None or not self.cache_dir.is_dir():
            return 0
        keep = {cache_key(a, self.embedder.model_id) for a in articles}
        gone = 0
        for path in self.cache_dir.iterdir():
            if path.suffix in (".json", ".npz") and path.stem not in keep:
                path.unlink(missing_ok=True)
                gone += 1
        return gone
