"""Sibling-article negatives: a written question put to another article on the same story.

The BBC corpus holds several articles on one event (a poll, a match, a trial). An archive
question whose answer is in one of them lands just as well on the others, and a reader
that learned only from the article each question was written for takes "same story" for
"answers it": over the 2,225 corpus articles, many of bbc-dev's misses were answered from a
sibling. So each training article gets its nearest corpus article on the same story
(TF-IDF cosine of their words in [SIBLING_MIN, SIBLING_MAX): below, another story; above,
a re-edit of the same text, which likely holds the answer), and every standalone
answerable question of it whose answer that sibling never mentions becomes an
unanswerable question on the sibling. The joint reader learns from them to put no answer
and low relevance on the sibling's best passages.

The siblings never include a written set's article (compared by text) nor a blind set's
(bot.training.generated.held_out).

Measured, not shipped (`train-answerer --siblings`; docs/method.md): 877 such questions
moved the reader out of fold by +0.2 points of answerable questions right, +2.4 of
unanswerable ones refused and +0.5 of answerable ones refused, but on bbc-dev by -0.8,
+0.0 and +2.2, and over the whole corpus the right article came first for 57.0% of
bbc-dev's answerable questions against 58.5% without them.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from ..text.article import Article, load_article
from ..text.words import STOPWORDS, words
from .data import Question

SIBLING_MIN = 0.3  # cosine: below, usually another story (docs/method.md)
SIBLING_MAX = 0.8  # at or above, a re-edit of the same article
SIBLINGS = 2  # per training article


def nearest(articles: dict[str, Article], candidates: list[Article], k: int = SIBLINGS) -> dict[str, list[Article]]:
    """Each article's `k` nearest candidates on the same story (see the module's docstring)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    if not articles or not candidates:
        return {}
    vec = TfidfVectorizer(sublinear_tf=True, stop_words="english", min_df=2, max_df=0.5)
    try:
        m = vec.fit_transform([c.text for c in candidates])
    except ValueError:  # too few candidates to keep a term in two of them
        return {}
    ids = list(articles)
    sims = (vec.transform([articles[a].text for a in ids]) @ m.T).toarray()
    out: dict[str, list[Article]] = {}
    for row, aid in zip(sims, ids):
        order = np.argsort(-row, kind="stable")
        chosen = [candidates[j] for j in order if SIBLING_MIN <= row[j] < SIBLING_MAX][:k]
        if chosen:
            out[aid] = chosen
    return out


def _mentions(text: str, reference: str) -> bool:
    """Whether `text` holds the reference, or half or more of its content words."""
    low = text.lower()
    if reference.lower() in low:
        return True
    ref = {w for w in words(reference.lower()) if w not in STOPWORDS}
    return bool(ref) and len(ref & set(words(low))) * 2 >= len(ref)


def sibling_questions(questions: list[Question], siblings: dict[str, list[Article]]) -> list[Question]:
    """The unanswerable questions put to siblings (see the module's docstring)."""
    out = []
    for q in questions:
        if q.source != "bbc" or not q.answerable or q.history or not q.references:
            continue
        for sib in siblings.get(q.article_id, []):
            if any(_mentions(sib.text, r) for r in q.references):
                continue
            out.append(Question(f"{q.id}@{sib.id}", sib.id, q.text, False, [], [], "sibling", [], [], ["sibling"]))
    return out


def corpus_candidates(corpus: Path, eval_dir: Path) -> list[Article]:
    """The corpus articles a sibling may be: none a written set or a blind set uses."""
    from .generated import held_out, written_texts

    used = written_texts(eval_dir)
    return [
        dataclasses.replace(load_article(p), id=f"corpus-{p.parent.name}-{p.stem}")
        for p in sorted(corpus.glob("*/*.txt"))
        if not held_out(p) and p.read_text(encoding="utf-8").strip() not in used
    ]
