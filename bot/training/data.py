"""The labelled questions the reader learns from, in one shape, with their articles.

Sources: the written BBC sets (bbc-train and bbc-train2, 440 articles), and what is made
from them: off-topic questions (another category's, put to an article) and swapped-detail
twins (an answerable question with one name, number or date changed for another of the
same kind that the article never mentions). Every question carries the character spans of
its gold evidence in its `Article.text`, so a candidate sentence is gold when it overlaps
one. bbc-dev, the seed's dev set and SQuAD Normans are never read here: they are where
the reader is measured.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from ..evaluation.dataset import locate
from ..text.article import Article, load_article


@dataclass
class Question:
    id: str
    article_id: str
    text: str
    answerable: bool
    gold_spans: list[tuple[int, int]] = field(default_factory=list)
    history: list[dict] = field(default_factory=list)
    source: str = "bbc"
    references: list[str] = field(default_factory=list)  # the answer and its alternatives
    near_spans: list[tuple[int, int]] = field(default_factory=list)  # a near miss's bent sentence
    tags: list[str] = field(default_factory=list)


def jsonl_questions(
    path: Path, articles: dict[str, Article], source: str, article_id: str | None = None
) -> list[Question]:
    """A jsonl set's questions; `article_id` for a set over a single article (the seed)."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        aid = r.get("article_id") or article_id
        if aid not in articles:
            continue
        text = articles[aid].text
        spans = [s for s in (locate(c, text) for c in r.get("reference_contexts") or []) if s]
        near = locate(r["near_sentence"], text) if r.get("near_sentence") else None
        refs = [x for x in [r.get("reference"), *(r.get("alt_references") or [])] if isinstance(x, str) and x.strip()]
        out.append(
            Question(
                r["id"],
                aid,
                r["user_input"],
                bool(r.get("answerable", True)),
                spans,
                list(r.get("history") or []),
                source,
                refs,
                [near] if near else [],
                list(r.get("tags") or []),
            )
        )
    return out


TRAINING_FILES = ("bbc-train.jsonl", "bbc-train2.jsonl")


def training_sets(eval_dir: Path) -> tuple[dict[str, Article], list[Question]]:
    """The written BBC training sets over their articles: everything training may see."""
    articles = {p.stem: load_article(p) for p in sorted((eval_dir / "articles").glob("*.txt"))}
    questions: list[Question] = []
    for name in TRAINING_FILES:
        questions += jsonl_questions(eval_dir / name, articles, "bbc")
    return articles, questions


def off_topic(questions: list[Question], per_article: int = 2, seed: int = 0) -> list[Question]:
    """Questions about other news put to an article: refusals the blind sets rarely hold.

    Blind writers ask about the article in front of them, so an unrelated question (the
    "capital of France" a user tries first) is almost absent from training, and a linear
    model extrapolates there: an article sharing no word with the question can look
    answerable. Each BBC article gets `per_article` standalone answerable questions from
    articles of another category, labelled unanswerable. They train the answerability
    model only; the threshold is chosen on the written questions alone.
    """
    rng = random.Random(seed)
    bbc = [q for q in questions if q.source == "bbc"]
    standalone = [q for q in bbc if q.answerable and not q.history]
    out = []
    for aid in sorted({q.article_id for q in bbc}):
        category = aid.split("-")[1]
        pool = [q for q in standalone if q.article_id.split("-")[1] != category]
        for q in rng.sample(pool, min(per_article, len(pool))):
            out.append(Question(f"{q.id}@{aid}", aid, q.text, False, [], [], "offtopic"))
    return out


SWAP_LABELS = ("PERSON", "ORG", "GPE", "NORP", "DATE", "CARDINAL", "MONEY", "PERCENT", "QUANTITY", "EVENT")


def swapped(questions: list[Question], articles: dict[str, Article], share: float = 0.5, seed: int = 0):
    """Near-miss twins: an answerable question with one entity (a name, number or date, as
    spaCy finds it) replaced by another of the same label from another article's questions,
    one the question's own article never mentions; labelled unanswerable, with the
    original's gold sentence as the near miss the reader must not take for an answer.
    About `share` of the questions that have such an entity get a twin."""
    from ..text import nlp

    rng = random.Random(seed)
    pipe = nlp.load()
    written = [q for q in questions if q.source == "bbc" and q.answerable and not q.history]
    docs = list(pipe.pipe([q.text for q in written], batch_size=256))
    pool: dict[str, list[tuple[str, str]]] = {}
    for q, doc in zip(written, docs):
        for e in doc.ents:
            if e.label_ in SWAP_LABELS:
                pool.setdefault(e.label_, []).append((e.text, q.article_id))
    out = []
    for q, doc in zip(written, docs):
        ents = [e for e in doc.ents if e.label_ in SWAP_LABELS]
        if not ents or rng.random() >= share:
            continue
        e = rng.choice(ents)
        text = articles[q.article_id].text.lower()
        options = sorted(
            {
                t
                for t, aid in pool[e.label_]
                if aid != q.article_id and t.lower() not in text and t.lower() != e.text.lower()
            }
        )
        if not options:
            continue
        new = rng.choice(options)
        twin = q.text[: e.start_char] + new + q.text[e.end_char :]
        out.append(
            Question(f"{q.id}~swap", q.article_id, twin, False, [], [], "swap", [], list(q.gold_spans), ["swap"])
        )
    return out
