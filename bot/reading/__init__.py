"""Reading one article for one question: the article's analysis (spaCy parse, sentence and
token vectors, BM25 statistics over lemmas, made once at index time), the question's
analysis (expected answer type, focus terms), the candidate sentences, their features, the
learned ranker and answerability model, and the short answer.

Public API: `Reader` (reader), `analyse_article`, `ArticleAnalysis` (analysis).
"""
