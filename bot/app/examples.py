"""Example questions for the chat page, made from the loaded articles themselves and each
checked to be answered before it is offered: nothing hard-coded for one article.

The candidates come from the article's own parse (the reader's analysis): the people it
names most ("Who is Clara Furse?"), what its most quoted speaker said, the organisations
and places it names most. Each is asked of that article; only those the bot answers
(with a citation) are kept, up to `SHOWN`. The result
is kept per article text, so the check runs once per article and process.
"""

from __future__ import annotations

import threading
from collections import Counter

SHOWN = 3  # examples offered
TRIED = 8  # candidates asked at most, per article
ARTICLES_TRIED = 3  # with "All articles", the first few articles give the examples

_made: dict[tuple[str, str], list[str]] = {}
_lock = threading.Lock()


def candidates(analysis) -> list[str]:
    """Questions a reader might ask of this article, most promising first.

    >>> from bot.text.nlp import Entity, Sentence
    >>> s = Sentence(0, 0, 60, "", 1, False, [Entity("Clara Furse", "PERSON", 0, 11),
    ...     Entity("Euronext", "ORG", 20, 28)], speakers=["Clara Furse"])
    >>> candidates(type("A", (), {"sentences": [s, s]})())
    ['Who is Clara Furse?', 'What did Clara Furse say?', 'What is Euronext?']
    """
    people: Counter[str] = Counter()
    orgs: Counter[str] = Counter()
    speakers: Counter[str] = Counter()
    for s in analysis.sentences:
        if s.headline:
            continue
        for e in s.entities:
            name = e.text.strip()
            if e.label == "PERSON" and len(name.split()) >= 2:  # a full name reads as a question
                people[name] += 1
            elif e.label == "ORG" and len(name) > 2:
                orgs[name] += 1
        named = {e.text.strip() for e in s.entities if e.label == "PERSON"}
        for sp in s.speakers:
            if sp in named and len(sp.split()) >= 2:  # a person the parse names, not "the article"
                speakers[sp] += 1
    out = [f"Who is {p}?" for p, _ in people.most_common(2)]
    out += [f"What did {p} say?" for p, _ in speakers.most_common(1)]
    out += [f"What is {o}?" for o, _ in orgs.most_common(2)]
    out += [f"Who is {p}?" for p, _ in people.most_common(4)[2:]]
    return list(dict.fromkeys(out))[:TRIED]


def answered(answer) -> bool:
    """An example worth offering: answered, with the passage it comes from."""
    return not answer.abstained and bool(answer.citations)


def for_article(qa, article) -> list[str]:
    """The checked examples of one article (made once per text)."""
    key = (article.id, article.content_hash)
    with _lock:
        if key in _made:
            return _made[key]
    found = []
    for question in candidates(qa.reader.analysis(article)):
        if answered(qa.ask(question, article_id=article.id)):
            found.append(question)
            if len(found) == SHOWN:
                break
    with _lock:
        _made[key] = found
    return found


def examples_for(qa, articles, article_id: str | None = None) -> list[str]:
    """The examples for the page's selection: the chosen article's, or with "All articles"
    a few from each of the first articles."""
    chosen = [a for a in articles if a.id == article_id] or list(articles)[:ARTICLES_TRIED]
    per = [for_article(qa, a) for a in chosen]
    out: list[str] = []
    for rank in range(SHOWN):  # take turns, so every article gets its best example in
        out += [qs[rank] for qs in per if rank < len(qs)]
    return out[:SHOWN]
