"""Question analysis: the expected answer type, the focus terms, and follow-up rewriting.

Only general English is hand-written here: wh-words, auxiliaries, pronouns, and a small
map from generic head nouns ("year", "city", "company", "price") to entity labels.
Everything else comes from the spaCy parse of the question.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..retrieve.followup import WH, rewrite_followup
from ..text import nlp as nlpmod

# Answer-type classes and the spaCy entity labels that can fill them.
TYPE_LABELS: dict[str, frozenset[str]] = {
    "PERSON": frozenset({"PERSON", "ORG"}),  # a "who" is a person or an organisation, never a nationality
    "ORG": frozenset({"ORG", "NORP", "PERSON"}),
    "NORP": frozenset({"NORP", "GPE"}),
    "DATE": frozenset({"DATE", "TIME"}),
    "PLACE": frozenset({"GPE", "LOC", "FAC"}),
    "COUNT": frozenset({"CARDINAL", "QUANTITY", "MONEY", "PERCENT"}),
    "AMOUNT": frozenset({"MONEY", "QUANTITY", "PERCENT", "CARDINAL"}),
    "MONEY": frozenset({"MONEY"}),
    "PERCENT": frozenset({"PERCENT"}),
    "DISTANCE": frozenset({"QUANTITY"}),
    "DURATION": frozenset({"DATE", "TIME"}),
    "AGE": frozenset({"DATE", "CARDINAL"}),
    "ORDINAL": frozenset({"ORDINAL"}),
}

# Generic head nouns of "what/which <noun>" questions (general English, no topic nouns).
HEAD_NOUN_TYPES: dict[str, str] = {
    **dict.fromkeys(["year", "date", "day", "month", "decade", "century", "week", "season", "era", "period"], "DATE"),
    **dict.fromkeys(
        [
            "city",
            "country",
            "town",
            "place",
            "state",
            "region",
            "nation",
            "capital",
            "location",
            "area",
            "village",
            "continent",
            "province",
            "county",
            "island",
        ],
        "PLACE",
    ),
    **dict.fromkeys(
        [
            "company",
            "firm",
            "organisation",
            "organization",
            "group",
            "party",
            "team",
            "club",
            "bank",
            "agency",
            "body",
            "institution",
            "business",
            "newspaper",
            "channel",
            "university",
            "union",
            "league",
            "network",
        ],
        "ORG",
    ),
    **dict.fromkeys(
        [
            "person",
            "man",
            "woman",
            "leader",
            "official",
            "boss",
            "chief",
            "head",
            "spokesman",
            "spokeswoman",
            "politician",
            "minister",
            "executive",
        ],
        "PERSON",
    ),
    **dict.fromkeys(
        ["price", "cost", "fee", "salary", "value", "sum", "budget", "revenue", "profit", "fine", "wage", "pay"],
        "MONEY",
    ),
    **dict.fromkeys(["percentage", "proportion", "share", "percent"], "PERCENT"),
    **dict.fromkeys(["number", "amount", "total", "figure"], "AMOUNT"),
    **dict.fromkeys(["nationality", "religion"], "NORP"),
    **dict.fromkeys(["position", "rank", "place"], "ORDINAL"),
    "age": "AGE",
    "time": "DATE",
    "distance": "DISTANCE",
    "length": "DURATION",
    "duration": "DURATION",
}
HOW_ADJ_TYPES = {
    "many": "COUNT",
    "much": "AMOUNT",
    "far": "DISTANCE",
    "long": "DURATION",
    "old": "AGE",
    "big": "AMOUNT",
    "large": "AMOUNT",
    "high": "AMOUNT",
    "tall": "DISTANCE",
    "deep": "DISTANCE",
    "heavy": "AMOUNT",
    "often": "OTHER",
    "soon": "DATE",
    "close": "DISTANCE",
    "wide": "DISTANCE",
}
QUOTE_VERBS = frozenset(
    ["say", "tell", "describe", "characterise", "characterize", "call", "warn", "claim", "add", "comment"]
)


@dataclass
class QuestionInfo:
    text: str  # as asked
    query: str  # rewritten for retrieval (follow-ups resolved)
    wh: str
    answer_type: str
    labels: frozenset[str]
    focus: list[str]  # content lemmas an answer sentence should cover
    names: list[str]  # lower-cased proper names / entities of the question
    head: str | None  # the asked noun ("how many jobs" -> "job")
    words: set[str] = field(default_factory=set)  # all lower-cased words and lemmas of the question
    rewritten: bool = False
    followup: bool = False

    @property
    def typed(self) -> bool:
        return bool(self.labels)


# "How much ... cost/pay/spend?" asks for money whatever noun follows "much".
MONEY_VERBS = frozenset(["cost", "pay", "spend", "charge", "earn", "worth", "price", "fine"])


def _wh_word(doc) -> tuple[str, int]:
    for tok in doc:
        if tok.lower_ in WH:
            return tok.lower_, tok.i
    return "", -1


def _noun_after(doc, i: int):
    """The head noun of the phrase right after token i ("what year", "which big company")."""
    for tok in doc[i + 1 : i + 5]:
        if tok.pos_ in ("NOUN", "PROPN"):
            # the head of a compound ("which football club" -> club)
            while tok.dep_ == "compound" and tok.head.i > tok.i and tok.head.pos_ in ("NOUN", "PROPN"):
                tok = tok.head
            return tok
        if tok.pos_ in ("AUX", "VERB"):
            return None
    return None


def _asks_who_someone_is(doc, i: int) -> bool:
    """ "Who is/was <a name>?": the name is given, the question asks what they are.

    >>> from bot.text import nlp
    >>> [_asks_who_someone_is(d, 0) for d in nlp.load().pipe(["Who is Mark Montgomery?", "Who is the chief executive?"])]
    [True, False]
    """
    rest = [t for t in doc[i + 1 :] if not t.is_punct]
    if len(rest) < 2 or rest[0].lemma_ != "be":
        return False
    return all(t.pos_ == "PROPN" or t.ent_type_ in ("PERSON", "ORG") for t in rest[1:])


def answer_type(doc) -> tuple[str, str, str | None]:
    """(wh-word, type class, asked head noun lemma)."""
    wh, i = _wh_word(doc)
    lemmas = {t.lemma_.lower() for t in doc}
    if wh in ("who", "whom", "whose"):
        if _asks_who_someone_is(doc, i):
            return wh, "OTHER", None  # "Who is Mark Montgomery?" wants a description, not another name
        return wh, "PERSON", None
    if wh == "when":
        return wh, "DATE", None
    if wh == "where":
        return wh, "PLACE", None
    if wh == "why":
        return wh, "REASON", None
    if wh == "how":
        nxt = doc[i + 1] if i + 1 < len(doc) else None
        if nxt is not None and nxt.lower_ in HOW_ADJ_TYPES:
            kind = HOW_ADJ_TYPES[nxt.lower_]
            head = _noun_after(doc, nxt.i) if kind in ("COUNT", "AMOUNT") else None
            if kind == "AMOUNT" and (
                (head is not None and HEAD_NOUN_TYPES.get(head.lemma_.lower()) == "MONEY") or lemmas & MONEY_VERBS
            ):
                kind = "MONEY"  # "how much does it cost" asks for money, not a quantity
            return wh, kind, head.lemma_.lower() if head is not None else None
        if lemmas & QUOTE_VERBS:
            return wh, "QUOTE", None
        return wh, "MANNER", None
    if wh in ("what", "which"):
        head = _noun_after(doc, i)
        if head is not None:
            lem = head.lemma_.lower()
            if lem in HEAD_NOUN_TYPES:
                return wh, HEAD_NOUN_TYPES[lem], lem
            return wh, "OTHER", lem
        if lemmas & QUOTE_VERBS:
            return wh, "QUOTE", None
        return wh, "OTHER", None
    if lemmas & QUOTE_VERBS:
        return wh, "QUOTE", None
    return wh, "OTHER", None


def _asking_word(tok, head: str | None) -> bool:
    """The words that only say what is asked: "how *far*", "what *year*" (a generic head noun)."""
    prev = tok.nbor(-1).lower_ if tok.i > 0 else ""
    if prev == "how" and tok.lower_ in HOW_ADJ_TYPES:
        return True
    return head is not None and tok.lemma_.lower() == head and head in HEAD_NOUN_TYPES


def analyse(text: str, history: list[dict] | None = None) -> QuestionInfo:
    """Parse a question (and its history) into what the ranker and short answer need."""
    history = history or []
    query, rewritten = rewrite_followup(text, history)
    doc = nlpmod.load()(query)
    wh, kind, head = answer_type(nlpmod.load()(text) if rewritten else doc)
    focus = []
    for tok in doc:
        lem = nlpmod.content_lemma(tok)
        if lem and lem not in WH and lem not in focus and not _asking_word(tok, head):
            focus.append(lem)
    names = []
    for e in doc.ents:
        if e.label_ not in ("CARDINAL", "ORDINAL"):
            names.append(e.text.lower())
    for tok in doc:
        if tok.pos_ == "PROPN" and not any(tok.lower_ in n.split() for n in names):
            names.append(tok.lower_)
    words = {t.lower_ for t in doc} | {t.lemma_.lower() for t in doc}
    return QuestionInfo(
        text=text,
        query=query,
        wh=wh,
        answer_type=kind,
        labels=TYPE_LABELS.get(kind, frozenset()),
        focus=focus,
        names=names,
        head=head,
        words=words,
        rewritten=rewritten,
        followup=rewritten,  # leaning on the chat, not merely having one: every later question has a history
    )
