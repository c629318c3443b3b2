"""Answering a question: the pipeline, the guards on input, the extractive answerer, the
citations, and the registry that picks the configured `Answerer`.

Public API: `ArticleQA`, `ask`, `default` (pipeline), `answerer_for`, `backend_names`
(backends), `check_question`, `check_history` (guards), `ExtractiveAnswerer`, `select`
(extractive), `compose` (citations).
"""
