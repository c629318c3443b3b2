"""Whether a claim means what its passage says, though their words mostly agree: a
negation or refusal the passage lacks, a count, unit or period it never uses, a name it
never mentions, roles swapped. The verifier's (bot.llm.verify) second test, after the words.
"""

from __future__ import annotations

import re

from ..store.chunking import split_sentences
from ..text.words import STOPWORDS, stem, terms, words

# Words about the source or the exchange rather than the news ("Sure. Based on the passages,
# the article says that ...") assert nothing.
META_TERMS = frozenset(
    terms(
        "article articles passage passages text context information state states stated "
        "according mention mentions mentioned report reports reported note notes noted say "
        "says said based provided given answer question yes sure okay ok certainly"
    )
)


def strip_markers(text: str) -> str:
    """'Budapest [1].' -> 'Budapest.'"""
    return re.sub(r"\s*\[\d{1,3}\]", "", text).strip()


def claim_terms(sentence: str) -> set[str]:
    """The content terms a sentence asserts: claim_terms('The article says Putin called [1].') -> {'putin', 'call'}."""
    return set(terms(strip_markers(sentence))) - META_TERMS


def support(sentence: str, passage: str) -> float:
    """Share of the sentence's content terms found in the passage (1.0 when it asserts nothing)."""
    claim = claim_terms(sentence)
    if not claim:
        return 1.0
    return len(claim & set(terms(passage))) / len(claim)


# A claim that turns its passage around shares nearly all of its words: these checks read
# what the words do. Measured on written claims (`python -m bot eval-verifier`, docs/evaluation.md).
NEGATORS = frozenset("not n't no never none nobody nothing neither nor cannot without".split())
REFUSALS = frozenset(
    "refuse refused refuses refusing decline declined declines reject rejected rejects deny denied denies".split()
)
_CANONICAL_UNIT = {
    **dict.fromkeys(("million", "m"), "m"),
    **dict.fromkeys(("billion", "bn"), "bn"),
    **dict.fromkeys(("percent", "%"), "%"),  # "per cent" is read as one word (`_tokens`)
    **dict.fromkeys(("mile", "miles"), "mile"),
    **dict.fromkeys(("km", "kilometre", "kilometres", "kilometer", "kilometers"), "km"),
    **dict.fromkeys(("metre", "metres", "meter", "meters"), "metre"),
    **dict.fromkeys(("ft", "feet", "foot"), "ft"),
    **dict.fromkeys(("kg", "kilogram", "kilograms", "kilo", "kilos"), "kg"),
    **dict.fromkeys(("tonne", "tonnes", "ton", "tons"), "tonne"),
    **{
        w: w.rstrip("s")
        for w in "year years month months week weeks day days hour hours minute minutes decade decades".split()
    },
    **dict.fromkeys(("annual", "annually", "yearly"), "year"),
    **dict.fromkeys(("monthly",), "month"),
    **dict.fromkeys(("weekly",), "week"),
    **dict.fromkeys(("daily",), "day"),
    **dict.fromkeys(("$", "dollar", "dollars"), "$"),
    **dict.fromkeys(("£", "pound", "pounds"), "£"),
    **dict.fromkeys(("€", "euro", "euros"), "€"),
}
NUMBER_WORDS = {
    w: str(n)
    for n, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen twenty".split()
    )
    if w != "one"  # "no one", "one of them": seldom a count
} | {"thirty": "30", "forty": "40", "fifty": "50", "hundred": "100", "thousand": "1000", "dozen": "12"}
ORDINALS = frozenset("second third fourth fifth sixth seventh eighth ninth tenth".split())
_COUNTED = frozenset(("a", "an", "per", "every", "each"))  # "a year": a period as much as "12 years"
_UNIT_TOKEN = re.compile(r"[$£€%]|\d+(?:[.,]\d+)*|[^\W\d_]+(?:'[^\W\d_]+)?")
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w'’&-]*")
_NOT_NAMES = frozenset("i mr mrs ms dr sir the a an it he she they we its his her their".split())


def _tokens(text: str) -> list[str]:
    """Lower-cased words, numbers and currency signs, number words as digits, "n't" apart."""
    out = []
    text = re.sub(r"(?i)\bper\s+cent\b", "percent", strip_markers(text))
    for t in _UNIT_TOKEN.findall(text.replace("n't", " n't").replace("’", "'")):
        t = t.lower()
        out.append(NUMBER_WORDS.get(t, t.replace(",", "")))
    return out


def _is_number(t: str) -> bool:
    return t[:1].isdigit()


def _units(tokens: list[str]) -> set[str]:
    """The units and periods the text counts in: '$10bn a year' -> {'$', 'bn', 'year'}; a unit
    counts when a number, a currency sign or "a"/"per"/"every" stands just before it."""
    out = set()
    for i, t in enumerate(tokens):
        unit = _CANONICAL_UNIT.get(t)
        if unit is None:
            continue
        before = tokens[max(0, i - 2) : i]
        after = tokens[i + 1 : i + 2]
        if t in ("$", "£", "€") and after and _is_number(after[0]):
            out.add(unit)
        elif any(_is_number(b) or b in _COUNTED or b in ("$", "£", "€") for b in before):
            out.add(unit)
    return out


def _number_units(tokens: list[str]) -> dict[str, set[str]]:
    """The unit written right after each number: '995 miles (1600 km)' -> {'995': {'mile'}, '1600': {'km'}}."""
    out: dict[str, set[str]] = {}
    for i, t in enumerate(tokens):
        if _is_number(t):
            unit = _CANONICAL_UNIT.get(tokens[i + 1]) if i + 1 < len(tokens) else None
            out.setdefault(t, set()).add(unit or "")
    return out


def _roles(text: str) -> set[tuple[str, str, str]]:
    """(who acts, the verb, on whom) of each clause, passive turned active, by lemma:
    'Russia warned the US' and 'The US was warned by Russia' -> {('russia', 'warn', 'us')}."""
    from ..text import nlp

    out = set()
    for tok in nlp.load()(strip_markers(text)):
        if tok.pos_ not in ("VERB", "AUX"):
            continue
        agent = patient = None
        for c in tok.children:
            if c.dep_ == "nsubj":
                agent = c
            elif c.dep_ in ("dobj", "nsubjpass"):
                patient = c
            elif c.dep_ == "agent":
                agent = next((g for g in c.children if g.dep_ == "pobj"), agent)
        if agent is not None and patient is not None and agent.pos_ != "PRON" and patient.pos_ != "PRON":
            out.add((agent.lemma_.lower(), tok.lemma_.lower(), patient.lemma_.lower()))
    return out


def _negated(tokens: list[str], claimed: set[str]) -> bool:
    """Whether a negator stands within three words before a word the claim also uses."""
    for i, t in enumerate(tokens):
        if t in NEGATORS and any(stem(w) in claimed for w in tokens[i + 1 : i + 4]):
            return True
    return False


def changed_meaning(sentence: str, passage: str) -> str | None:
    """What the sentence says that its passage does not, though their words mostly agree:
    a negation or refusal the passage lacks (or a negation of its own that the sentence
    drops), a count, unit or period it never uses, an ordinal it does not give, a name it
    never mentions.

    >>> changed_meaning("Putin never called Trump [1].", "Putin called Trump on Thursday.")
    'it says “never”, the passage does not'
    >>> changed_meaning("It flies 995 kilometres [1].", "It has a range of 995 miles.")
    'it counts in km, the passage does not'
    >>> changed_meaning("They met in Paris on Monday [1].", "They met in London on Monday.")
    'the passage does not name “Paris”'
    >>> changed_meaning("He will back the plan [1].", "He said he will not back the plan.")
    'the passage negates what it says'
    >>> changed_meaning("They will meet in Budapest [1].", "Trump said they will meet in Budapest.") is None
    True
    """
    claim, text = _tokens(sentence), _tokens(passage)
    have = set(text)
    spans = split_sentences(passage) or [(0, len(passage))]
    closest = max((passage[a:b] for a, b in spans), key=lambda t: support(sentence, t))
    claimed = {stem(w) for w in claim if w not in STOPWORDS and w not in NEGATORS}
    negators = [w for w in claim if w in NEGATORS]
    if negators and not have & NEGATORS:
        return f"it says “{negators[0]}”, the passage does not"
    for w in claim:
        if w in REFUSALS and stem(w) not in {stem(x) for x in have}:
            return f"it says “{w}”, the passage does not"
    if not negators and _negated(_tokens(closest), claimed):
        return "the passage negates what it says"
    for unit in sorted(_units(claim) - _units(text)):
        return f"it counts in {unit}, the passage does not"
    stated = _number_units(text)
    for number, units in _number_units(claim).items():
        written = stated.get(number, set())
        if written and not units & written and units - {""} and written - {""}:
            return f"the passage does not state {number} {sorted(units - {''})[0]}"
    for w in claim:
        if w in ORDINALS and w not in have:
            return f"it says “{w}”, the passage does not"
    missing = {w for w in claim if _is_number(w)} - have
    if missing:
        return f"the passage does not state {sorted(missing)[0]}"
    known = set(words(passage))
    for m in _NAME.finditer(strip_markers(sentence)):
        name = words(m[0])
        if not name or name[0] in _NOT_NAMES or name[0] in META_TERMS or name[0] in known:
            continue
        stem_of = name[0][: max(4, len(name[0]) - 3)]
        if len(name[0]) >= 4 and any(k.startswith(stem_of) for k in known):
            continue  # "Sri Lankan" of "Sri Lanka", "British" of "Britain" (not "Australia" of "Austria")
        return f"the passage does not name “{m[0]}”"
    stated_roles = _roles(passage)
    turned = {(p, v, a) for a, v, p in stated_roles} - stated_roles
    for agent, _verb, patient in (_roles(sentence) & turned) if turned else ():  # no parse when nothing can turn
        return f"it swaps who does what (“{agent}” and “{patient}”)"
    return None
