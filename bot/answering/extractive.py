"""The default answerer: quote the sentence that answers, lead with the short answer, or
abstain.

`select` is the evidence gate of every backend (the pipeline refuses without calling a
model when it abstains). It reads the question's article with the learned reader
(bot.reading): the ranker picks the passage among the candidates, the answerability
model says whether the article answers at all, and the short answer is the reader's
answer span. With several articles and none pinned ("All articles") it reads the
best-ranked articles in turn, up to ARTICLES_READ, stops at one that answers with
confidence, and otherwise takes the one most likely to answer, holding an answer from an
article after the first, or from a contested first one, to a higher bar (SURE); the answer
then names its article. A question about "the article" itself (its author, date, subject)
with several loaded asks which one.
`ExtractiveAnswerer` answers with the evidence itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from ..core.answerer import Draft
from ..reading.reader import analyse_question, decide, prepare
from ..text.words import terms
from .citations import compose
from .guards import gives_instructions

INSTRUCTIONS = "the message gives the bot instructions instead of asking about the article"
ARTICLES_READ = 3  # articles read for a question when none is pinned, best retrieved first
# P(answerable) at which an article read is taken without reading more, and which an answer
# from an article read after the first must reach (the reader's own threshold is about 0.22:
# each further article read is another chance for a question the archive cannot answer to
# meet a sentence that seems to). Chosen on training questions asked of the 2,225 BBC corpus
# articles (docs/method.md). Stopping: on 400, the right article came first as often at 0.5
# as at 0.75 (61.4%), 2 fewer were answered right and the p50 fell by a third; reading all
# three: 61.0%, 2 more right. The bar for a later article: on the 1,320 standalone questions
# of the articles the joint reader never saw, the highest that refuses at most 7% of the
# answerable ones (as the reader's threshold does): unanswerable refused 52.2% against 40.7%
# at the reader's threshold, answered right 52.4% either way, answerable refused 6.8% (5.0%).
# The same bar holds an answer from the first article read when it is contested: an article
# ranking puts an article of other text first, or matches none (`_contested`, choose's
# `contested`). Measured first with the passages' ranking leading, so that only BM25 over whole
# articles could contest: over the 2,225 corpus articles, of 4,800 standalone training
# questions, 2,231 had a contested first article, and it was the question's for 16% of them
# (81% of the others); on 480 questions of 40 articles the joint reader never saw (in-sample for
# the ranker and refusal), asked of the corpus, unanswerable refused 55.1% against 50.5%,
# answerable questions answered right and refused unchanged; in archives of 13 or 14 of those
# articles, nothing changed. With the fused ranking leading over the corpus, either ranking
# contesting: 56.1% against 54.1% with BM25 alone (the same answers right).
SURE = 0.5
_THE_ARTICLE = re.compile(r"(?i)\b(the|this|that)\s+(article|story|piece|report|text)\b")
# Words that name an article as a document, not what it reports: its author, date, title,
# subject, what it says. Every article has these, so with several loaded a question made of
# nothing else asks about one of them, and which (about_the_article).
_OF_AN_ARTICLE = frozenset(
    terms(
        "article story piece report text write wrote written writer author publish published date title "
        "headline summary summarise summarize main point key takeaway gist topic subject conclusion tone "
        "source journalist reporter newspaper year updated say said mention describe discuss talk explain "
        "give brief briefly short one sentence overview last"
    )
)


def about_the_article(question: str) -> bool:
    """Whether the question asks about "the article" itself rather than something it reports.

    "Which player mentioned in the article came out first?" names what it asks about, and the
    search finds the article that reports it; "Who wrote the article?" does not. Of the 37
    written training questions that name the article, story, piece or report, two ask about
    it itself ("When was the report published?", "and what's the story about").

    >>> [about_the_article(q) for q in ("Who wrote the article?", "What is this story about?",
    ...     "Give me a summary of the article", "What are the key points of the article?",
    ...     "Which newspaper published the article?", "When was the story last updated?")]
    [True, True, True, True, True, True]
    >>> [about_the_article(q) for q in ("Which company produced the report?",
    ...     "Who is the spokesman quoted in the piece?", "Why is the deficit so big, according to the article?")]
    [False, False, False]
    """
    return bool(_THE_ARTICLE.search(question)) and not set(terms(question)) - _OF_AN_ARTICLE


@dataclass(frozen=True)
class Scored:
    chunk_id: str
    start: int  # absolute span in the article text
    end: int
    score: float


@dataclass(frozen=True)
class Extract:
    """The chosen sentences, best first, or an abstention with its reason."""

    sentences: tuple[Scored, ...]
    confidence: float
    reason: str | None = None  # why it abstained
    short_answer: str | None = None
    timings: dict | None = None  # ms per reading stage
    message: str | None = None  # what to tell the user instead of the plain refusal
    named: bool = False  # the answer names its article (several loaded, none pinned)

    @property
    def abstained(self) -> bool:
        return not self.sentences


def _chunk_for(index, article_id: str, start: int, end: int):
    """The passage holding most of the span [start, end)."""
    best, overlap = None, 0
    for chunk in index.chunks_of(article_id):
        o = min(chunk.end, end) - max(chunk.start, start)
        if o > overlap:
            best, overlap = chunk, o
    return best


def select(
    question: str,
    history: list[dict],
    articles: list[str],
    index,
    reader,
    article_id: str | None = None,
    talked_of: str | None = None,
    firsts: tuple[str | None, ...] = (),
) -> Extract:
    """Read the question's article (the one asked about; with several and none pinned, the
    one the conversation was about, then the best-ranked `articles`, in turn) and decide;
    `firsts` are the articles the article rankings put first (bot.retrieve.Ranking)."""
    if gives_instructions(question):
        return Extract((), 0.0, INSTRUCTIONS)
    if article_id is not None or len(index.articles) == 1:
        return read_article(question, history, index, reader, article_id or next(iter(index.articles)))
    if not history and about_the_article(question):
        return which_article(articles, index)
    ids = list(dict.fromkeys([*([talked_of] if talked_of else []), *articles]))[:ARTICLES_READ]
    if not ids:
        return Extract((), 0.0, "no passage matched")
    asked = analyse_question(question, history, reader.model)
    read = [read_article(question, history, index, reader, ids[0], asked)]
    for aid in ids[1:]:
        likeliest = max(read, key=lambda r: r.confidence)
        if not likeliest.abstained and likeliest.confidence >= SURE:
            break
        read.append(read_article(question, history, index, reader, aid, asked))
    return choose(read, contested=_contested(ids[0], talked_of, firsts, index))


def _contested(first: str, talked_of: str | None, firsts: tuple[str | None, ...], index) -> bool:
    """Whether the first article read is in doubt: not the conversation's, and one of the
    article rankings puts an article of other text first (a repeat of it ties, and ties go
    by name) or, like BM25 over whole articles finding no word of the question, none; with
    no rankings given, it is in doubt.

    Below `bot.retrieve.hybrid.FUSED_LEADS_FROM` articles the first read is the passages'
    first, so only the whole-article BM25 can contest it; from there it is the fused
    ranking's, which either ranking can (measured: the comment at SURE)."""
    if first == talked_of:
        return False
    text = index.articles[first].text
    return not firsts or any(f is None or index.articles[f].text != text for f in firsts)


def choose(read: list[Extract], contested: bool = False) -> Extract:
    """Of the articles read for one question, in the order read, the likeliest to answer
    (the first of equals), naming its article. An answer from an article after the first
    must reach SURE, or the question is refused; so must one from the first when it is
    `contested` (see `_contested` and SURE)."""
    k = max(range(len(read)), key=lambda i: read[i].confidence)
    chosen = read[k]
    if (k > 0 or contested) and not chosen.abstained and chosen.confidence < SURE:
        why = (
            "the likeliest article was not the first read, and it answers unsure"
            if k > 0
            else "an article ranking puts another article first, and the first read answers unsure"
        )
        return Extract((), chosen.confidence, why, timings=chosen.timings)
    return replace(chosen, named=not chosen.abstained)


def which_article(articles: list[str], index) -> Extract:
    """A question about "the article" with several loaded: ask which one, naming the
    best-ranked few."""
    ids = articles[:ARTICLES_READ] or list(index.articles)[:3]
    titles = ", ".join(f"“{index.articles[a].title}”" for a in ids)
    return Extract(
        (),
        0.0,
        "several articles: which one?",
        message=f"Several articles are loaded: which one do you mean? Choose it above, or name it: {titles}.",
    )


def read_article(question: str, history: list[dict], index, reader, article_id: str, asked=None) -> Extract:
    """The reader on one article: its sentence and short answer, or a refusal. `asked`: the
    question as the reader analysed it already (bot.reading.reader.analyse_question)."""
    analysis = reader.analysis(index.articles[article_id])
    prep = prepare(question, history, analysis, reader.model, asked)
    if prep is None:
        return Extract((), 0.0, "the article has no sentence")
    reading = decide(prep, analysis, reader.models)
    if reading.refused:
        return Extract((), reading.p_answerable, "the article does not say", timings=reading.timings)
    best = reading.best
    chunk = _chunk_for(index, article_id, best.start, best.end)
    if chunk is None:
        return Extract((), reading.p_answerable, "no passage holds the answer", timings=reading.timings)
    start, end = max(best.start, chunk.start), min(best.end, chunk.end)
    scored = Scored(chunk.id, start, end, reading.p_answerable)
    return Extract((scored,), reading.p_answerable, None, reading.short_answer, reading.timings)


class ExtractiveAnswerer:
    """The default `Answerer` (BOT_LLM=extractive): the short answer, then the quoted sentence
    with its [n] marker.

    It needs no model and keeps no state per question, so an attempt is the answerer itself.
    """

    name = "extractive"
    streams = False  # the answer is ready at once; the pipeline streams it word by word
    notice = None

    @property
    def latency(self) -> dict:
        return {}

    def describe(self) -> str:
        return self.name

    def open(self) -> ExtractiveAnswerer:
        return self

    def search_query(self, question: str, history: list[dict], query: str) -> str | None:
        return None  # the parse-based rewrite is the query

    def answer(self, query: str, docs: list, evidence: Extract, index) -> Iterator[str | Draft]:
        yield self.draft(evidence, index)

    def draft(self, evidence: Extract, index) -> Draft:
        """The short answer (when there is one) and the quoted sentence, with [n] markers."""
        response, citations = compose(evidence, index)
        if evidence.short_answer and citations:
            response = f"{evidence.short_answer} [{citations[0].marker}]\n\n{response}"
        if evidence.named and citations:
            response += f"\n\n(From “{citations[0].article_title}”.)"
        return Draft(response, citations, backend=self.name)
