"""The index: articles cut into passages (chunking), embedded (embeddings), written as a
Chroma build (build) through a checked client (chroma), with BM25 over the same passages
(bm25); `open_index` (index) opens the current build, building it when missing or stale.

Public API: `open_index`, `Index` (index); `Embedder` (embeddings); `chunk_article`,
`Chunk` (chunking); `connect` (chroma); `BM25` (bm25).
"""
