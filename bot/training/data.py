"""The labelled questions the reader learns from, in one shape, with their articles.

Sources: the project's jsonl sets (bbc-train over many articles, the seed's dev set over
one) and SQuAD 2.0 JSON (each title one article). Every question carries the character
spans of its gold evidence in its `Article.text`, so a candidate sentence is gold when it
overlaps one. bbc-dev is never read here: it is where the reader is measured.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..text.article import Article, load_article, parse_article
from .dataset import locate


@dataclass
class Question:
    id: str
    article_id: str
    text: str
    answerable: bool
    gold_spans: list[tuple[int, int]] = field(default_factory=list)
    history: list[dict] = field(default_factory=list)
    source: str = "bbc"


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
        out.append(
            Question(
                r["id"],
                aid,
                r["user_input"],
                bool(r.get("answerable", True)),
                spans,
                list(r.get("history") or []),
                source,
            )
        )
    return out


def squad_questions(path: Path) -> tuple[dict[str, Article], list[Question]]:
    """SQuAD 2.0 JSON: each title an article (the title, then its paragraphs)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))["data"]
    articles, questions = {}, []
    for doc in data:
        aid = "squad-" + re.sub(r"\W+", "-", doc["title"]).strip("-").lower()
        raw = doc["title"].replace("_", " ") + "\n\n" + "\n\n".join(p["context"] for p in doc["paragraphs"])
        article = parse_article(raw, article_id=aid)
        articles[aid] = article
        for p in doc["paragraphs"]:
            where = locate(p["context"], article.text)
            for qa in p["qas"]:
                answers = [] if qa.get("is_impossible") else qa.get("answers") or []
                spans = (
                    sorted(
                        {(where[0] + a["answer_start"], where[0] + a["answer_start"] + len(a["text"])) for a in answers}
                    )
                    if where
                    else []
                )
                questions.append(Question(qa["id"], aid, qa["question"], bool(answers), spans, [], "squad"))
    return articles, questions


def training_sets(
    eval_dir: Path, seed_article: Path, seed_questions: Path
) -> tuple[dict[str, Article], list[Question]]:
    """bbc-train, SQuAD Normans and the seed: everything training may see (never bbc-dev)."""
    articles = {p.stem: load_article(p) for p in sorted((eval_dir / "articles").glob("*.txt"))}
    questions = jsonl_questions(eval_dir / "bbc-train.jsonl", articles, "bbc")
    squad_articles, squad = squad_questions(eval_dir / "squad2-normans.json")
    seed = load_article(seed_article)
    articles |= squad_articles | {seed.id: seed}
    questions += squad + jsonl_questions(seed_questions, articles, "seed", article_id=seed.id)
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
