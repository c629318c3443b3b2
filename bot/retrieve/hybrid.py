"""Hybrid retrieval: dense (Chroma, cosine) and lexical (BM25) rankings fused by RRF.

Reciprocal rank fusion needs no score calibration between the two retrievers; the
fused score is reported on a 0..1 scale (1.0: ranked first by both).
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from .fusion import rrf


class HybridRetriever(BaseRetriever):
    """A LangChain retriever over an `Index`. Documents carry ids, scores and spans."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    index: Any
    k: int = 5
    candidates: int = 20

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return self.search(query)

    def search(self, query: str, k: int | None = None, article_id: str | None = None) -> list[Document]:
        k = k or self.k
        ranked, dense_of, lex_of = self._ranked(query, max(self.candidates, 4 * k), article_id)
        return [self.document(cid, score, dense_of.get(cid, 0.0), lex_of.get(cid, 0.0)) for cid, score in ranked[:k]]

    def articles(self, query: str, k: int) -> list[str]:
        """The k articles most likely to answer, for a question asked of all of them: the
        order in which the passage ranking meets them, fused by rank with BM25 over whole
        articles (a passage holds only part of what the question names)."""
        ranked, _, _ = self._ranked(query, max(self.candidates, 4 * k))
        by_passage = list(dict.fromkeys(self.index.chunks[cid].article_id for cid, _ in ranked))
        by_article = [aid for aid, _ in self.index.article_lexical.search(query, 4 * k)]
        fused = rrf([by_passage, by_article])
        return sorted(fused, key=lambda a: -fused[a])[:k]

    def _ranked(self, query: str, n: int, article_id: str | None = None):
        """The fused passage ranking [(id, score)], best first, and each side's scores."""
        self.index.check_article(article_id)
        qvec = self.index.embedder.embed_query(query)
        dense = self.index.dense(qvec, n, article_id)
        lexical = self.index.lexical.search(query, n, group=article_id)
        fused = rrf([[cid for cid, _ in dense], [cid for cid, _ in lexical]])
        dense_of, lex_of = dict(dense), dict(lexical)
        return sorted(fused.items(), key=lambda kv: (-kv[1], -dense_of.get(kv[0], -1.0))), dense_of, lex_of

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
                "paragraph": chunk.paragraph,
                "section": chunk.section,
                "start": chunk.start,
                "end": chunk.end,
                "score": score,
                "dense_score": round(dense, 4),
                "lexical_score": round(lexical, 4),
            },
        )
