"""Hybrid retrieval: dense (Chroma, cosine) and lexical (BM25) rankings fused by RRF.

Reciprocal rank fusion needs no score calibration between the two retrievers; the
fused score is reported on a 0..1 scale (1.0: ranked first by both). With no article
pinned, `ranked` also gives the order in which to read the articles, and the article each
article ranking puts first (the reader doubts a first article they do not both back).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from .fusion import rrf

# From this many articles the fused ranking leads the turns, below it the passages' ranking
# does. The question's article came first by the fused ranking as often as by the passages'
# up to 40 articles and more often from 80 (+0.7 to +1.6 points at 80 to 160, +2.1 at 300
# to 400, +4 to +5 at 1,000 and over the 2,225 corpus articles; training questions, docs/method.md).
FUSED_LEADS_FROM = 100


class Ranking(NamedTuple):
    docs: list[Document]  # the k best passages
    articles: list[str]  # the order to read the articles in (the pinned one alone, when one is)
    # The article each ranking puts first: the passages', then BM25 over whole articles (None:
    # no match); empty when none is ranked (pinned, or one article).
    firsts: tuple[str | None, ...] = ()


class ArticleRankings(NamedTuple):
    passages: list[str]  # the fused passages' ids, best first
    by_passage: list[str]  # the articles in the order of their passages
    whole: list[str]  # the articles by BM25 over each as a whole
    fused: list[str]  # RRF of the two


class HybridRetriever(BaseRetriever):
    """A LangChain retriever over an `Index`. Documents carry ids, scores and spans."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    index: Any
    k: int = 5
    candidates: int = 20

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return self.search(query)

    def search(self, query: str, k: int | None = None, article_id: str | None = None) -> list[Document]:
        return self.ranked(query, k, article_id).docs

    def ranked(self, query: str, k: int | None = None, article_id: str | None = None) -> Ranking:
        """The k best passages, the articles in the order to read them (the pinned one alone,
        when one is), and the article each of the two article rankings puts first.

        Two article rankings take turns: the order in which the articles' passages come in
        all the fused candidates (not only the k returned), and RRF of that order with BM25
        over each article as a whole (`BM25.group_search`: its passages' indexed text, a
        section heading counted with each passage under it). Whole-article BM25 credits a
        question whose words fall in different paragraphs of one article, which finds the
        article among many stories on one subject; over a few unrelated articles the best
        passage is the surer guide. So the passages' ranking leads the turns below
        FUSED_LEADS_FROM articles, and the fused one from there. Measured on training
        questions (docs/method.md): over the 2,225 BBC corpus articles the question's
        article came first for 56.7% led by the fused ranking against 51.8% by the
        passages'; in archives of 15 to 40 articles the two were within two questions."""
        k = k or self.k
        self.index.check_article(article_id)
        n = max(self.candidates, 4 * k)
        ranked, dense_of, lex_of = self._passages(query, n, article_id)
        docs = [self.document(cid, score, dense_of.get(cid, 0.0), lex_of.get(cid, 0.0)) for cid, score in ranked[:k]]
        if article_id is not None or len(self.index.articles) < 2:  # nothing to choose between
            return Ranking(docs, [article_id] if article_id is not None else list(self.index.articles))
        by_passage, whole, both = self._article_orders(query, ranked, n)
        firsts = (by_passage[0] if by_passage else None, whole[0] if whole else None)
        # `both` holds every article of `by_passage` and those only whole-article BM25 found:
        # the passages' ranking is padded with those, so the two interleave in full.
        padded = by_passage + [aid for aid in both if aid not in by_passage]
        lead, other = (both, padded) if len(self.index.articles) >= FUSED_LEADS_FROM else (padded, both)
        order = list(dict.fromkeys(aid for pair in zip(lead, other) for aid in pair))
        return Ranking(docs, order, firsts)

    def article_rankings(self, query: str) -> ArticleRankings:
        """The fused passages' ids and the article rankings `ranked` builds its reading order
        from, each in full, none pinned (benchmarks/article_ranking.py compares them)."""
        n = max(self.candidates, 4 * self.k)
        ranked = self._passages(query, n, None)[0]
        return ArticleRankings([cid for cid, _ in ranked], *self._article_orders(query, ranked, n))

    def _passages(self, query: str, n: int, article_id: str | None) -> tuple[list[tuple[str, float]], dict, dict]:
        """The n best passages of dense and lexical search fused by RRF (ties: the denser
        first), and each one's dense and lexical score."""
        qvec = self.index.embedder.embed_query(query)
        dense = self.index.dense(qvec, n, article_id)
        lexical = self.index.lexical.search(query, n, group=article_id)
        fused = rrf([[cid for cid, _ in dense], [cid for cid, _ in lexical]])
        dense_of, lex_of = dict(dense), dict(lexical)
        ranked = sorted(fused.items(), key=lambda kv: (-kv[1], -dense_of.get(kv[0], -1.0)))
        return ranked, dense_of, lex_of

    def _article_orders(self, query: str, ranked: list[tuple[str, float]], n: int) -> tuple[list, list, list]:
        """The articles in the order of their passages in `ranked`, by BM25 over whole
        articles, and the RRF of the two (ties: passage order)."""
        by_passage = list(dict.fromkeys(self.index.chunks[cid].article_id for cid, _ in ranked))
        whole = [aid for aid, _ in self.index.lexical.group_search(query, n)]
        scores = rrf([by_passage, whole])
        return by_passage, whole, sorted(scores, key=lambda aid: -scores[aid])

    def conversation_article(self, history: list[dict]) -> str | None:
        """With several articles and none pinned, the article the conversation was about: the
        best-ranked one for the last question asked (a follow-up stays with it)."""
        last = next((t.get("content") for t in reversed(history) if t.get("role") == "user"), None)
        if len(self.index.articles) < 2 or not isinstance(last, str) or not last.strip():
            return None
        articles = self.ranked(last).articles
        return articles[0] if articles else None

    def document(self, cid: str, score: float = 0.0, dense: float = 0.0, lexical: float = 0.0) -> Document:
        """A passage as a LangChain Document, with its ids, scores and span."""
        chunk = self.index.chunks[cid]
        article = self.index.articles[chunk.article_id]
        return Document(
            id=cid,
            page_content=chunk.text,
            metadata={
                "chunk_id": cid,
                "article_id": chunk.article_id,
                "article_title": article.title,
                "published": article.published,
                "url": article.url,
                "paragraph": chunk.paragraph,
                "section": chunk.section,
                "start": chunk.start,
                "end": chunk.end,
                "score": score,
                "dense_score": round(dense, 4),
                "lexical_score": round(lexical, 4),
            },
        )
