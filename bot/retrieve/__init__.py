"""Finding the passages for a question: follow-up rewriting into a self-contained query
(followup) and hybrid dense + BM25 retrieval fused by rank, as a LangChain retriever (hybrid).

Public API: `rewrite`, `entities`, `person_names` (followup); `HybridRetriever`, `rrf` (hybrid).
"""
