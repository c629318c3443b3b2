"""Citation verification: every sentence the user sees is backed by the passage it cites.

The model is given passages numbered [1]..[k]. Each sentence of its reply is checked
on its own, so that verified sentences can be streamed while the rest is still coming:

- a marker must name a passage that was given ([7] of 4 passages removes the sentence);
- the sentence must be lexically supported by the passages it cites (`unsupported`, which
  the evaluation uses too): at least SUPPORT_THRESHOLD of its content terms (stemmed, stop
  words and words about the article itself left out) occur in them, every number it
  states occurs there too, and so do most terms of each of its longer clauses;
- its meaning must be the passage's (`changed_meaning`): no negation or refusal the passage
  lacks and none of the passage's own dropped, no count, unit or period it never uses, no
  name it never mentions, no roles swapped (who did what to whom, by spaCy's parse), and no
  short invented tail (", so Russia lost");
- a sentence without a marker is kept only if one passage supports it, which it then cites;
- given the question, a sentence must share a term with it or with a sentence already kept
  (small models like to quote the byline, which is supported but answers nothing);
- anything else is removed, with the reason.

Kept markers are renumbered in order of first use, like the extractive answers, and each
citation carries the passage sentence(s) that support it as its quote.

Why 0.6: measured on the dev set (tests/eval/article.jsonl) with claims written the way
a model answers, the question restated with its reference answer ("Where did Trump and
Putin meet before: In Alaska, in August."). 90% of them reach 0.6 against their gold
passage (median 0.80); against the best other passage of the article 20% do, nearly all
of them passages that repeat the same fact. Invented sentences that borrow a name ("The
population of Hungary is approximately 3.1 million") score far lower (1/6 here), and the
number rule removes an invented figure whatever its words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..core.answer import MARKER, Citation
from ..store.chunking import split_sentences
from ..text.words import STOPWORDS, stem, terms, words

SUPPORT_THRESHOLD = 0.6
# A clause of three or more content terms must be supported on its own, at this lower bar:
# a well-supported sentence must not carry an invented claim on its tail ("Trump and Putin
# will meet in Budapest, which means Ukraine already won the war").
CLAUSE_THRESHOLD = 0.5
CLAUSE_MIN_TERMS = 3
_CLAUSE = re.compile(
    r"[,;:]\s+|\s+[-–—]\s+|\s+(?:and|but|so|which|because|while|whereas|meaning|thus|therefore|hence)\s+", re.I
)
# Words about the source or the exchange rather than the news ("Sure. Based on the passages,
# the article says that ...") assert nothing.
META_TERMS = frozenset(
    terms(
        "article articles passage passages text context information state states stated "
        "according mention mentions mentioned report reports reported note notes noted say "
        "says said based provided given answer question yes sure okay ok certainly"
    )
)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_MARKER_LIST = re.compile(r"\[(\d{1,3}(?:\s*,\s*\d{1,3})+)\]")
# Markers after a sentence's stop(s), and the quote or bracket closing it, cite that sentence.
_MARKERS_AFTER_STOP = re.compile(r"([.!?…]+[\"”’')\]]*)((?:\s*\[\d{1,3}\])+)")


def markers_before_stop(text: str) -> str:
    """Markers after a sentence's end moved before it, so that they stay with the sentence.

    >>> markers_before_stop('It is in Budapest. [1] [2] He said “soon.” [3] Wait… [4]')
    'It is in Budapest [1] [2]. He said “soon [3].” Wait [4]…'
    """
    return _MARKERS_AFTER_STOP.sub(lambda m: f"{m[2]}{m[1]}", text)


def normalize_markers(text: str) -> str:
    """Markers before the full stop, one number per bracket.

    >>> normalize_markers("It is in Budapest. [1] [2] Yes, see [1, 3].")
    'It is in Budapest [1] [2]. Yes, see [1][3].'
    """
    return markers_before_stop(_MARKER_LIST.sub(lambda m: "".join(f"[{n.strip()}]" for n in m[1].split(",")), text))


def strip_markers(text: str) -> str:
    """'Budapest [1].' -> 'Budapest.'"""
    return re.sub(r"\s*\[\d{1,3}\]", "", text).strip()


def claim_terms(sentence: str) -> set[str]:
    """The content terms a sentence asserts: claim_terms('The article says Putin called [1].') -> {'putin', 'call'}."""
    return set(terms(strip_markers(sentence))) - META_TERMS


def numbers(text: str) -> set[str]:
    """Numbers as written, separators dropped: numbers('3,350 ERAMs, 2.5 km, [4]') -> {'3350', '2.5'}."""
    return {n.replace(",", "") for n in _NUMBER.findall(strip_markers(text))}


def support(sentence: str, passage: str) -> float:
    """Share of the sentence's content terms found in the passage (1.0 when it asserts nothing)."""
    claim = claim_terms(sentence)
    if not claim:
        return 1.0
    return len(claim & set(terms(passage))) / len(claim)


def unsupported_clause(sentence: str, passage: str) -> str | None:
    """The first clause of the sentence that the passage does not support, or None.

    >>> unsupported_clause("Putin called Trump, which means Ukraine won the war [1].", "Putin called Trump on Thursday.")
    'which means Ukraine won the war'
    >>> unsupported_clause("Putin called Trump on Thursday [1].", "Putin called Trump on Thursday.") is None
    True
    """
    present = set(terms(passage))
    for n, clause in enumerate(_CLAUSE.split(strip_markers(sentence).rstrip(".!?"))):
        claim = claim_terms(clause)
        share = len(claim & present) / len(claim) if claim else 1.0
        if len(claim) >= CLAUSE_MIN_TERMS and share < CLAUSE_THRESHOLD:
            return clause.strip()
        if n > 0 and len(claim) == 2 and share < 1.0:  # a short tail: "..., so Russia lost"
            return clause.strip()
    return None


def missing_numbers(sentence: str, passages: list[str]) -> set[str]:
    """Numbers in the sentence that none of the passages states."""
    present = set().union(*(numbers(p) for p in passages)) if passages else set()
    return numbers(sentence) - present


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
    for agent, _verb, patient in _roles(sentence) & turned:
        return f"it swaps who does what (“{agent}” and “{patient}”)"
    return None


def unsupported(sentence: str, passages: list[str], threshold: float = SUPPORT_THRESHOLD) -> str | None:
    """Why the passages do not support the sentence (one asserting nothing included), or None:
    the one test of support, of the verifier and of the evaluation (bot.evaluation.metrics).

    >>> unsupported("Putin called Trump on Thursday [1].", ["Putin called Trump on Thursday."]) is None
    True
    >>> unsupported("Putin called Trump 3 times [1].", ["Putin called Trump on Thursday."])
    'the cited passage(s) do not state 3'
    """
    if not claim_terms(sentence):
        return "it asserts nothing"
    joined = " ".join(passages)
    score = support(sentence, joined)
    if score < threshold:
        return f"only {score:.0%} of its terms are in the cited passage(s)"
    lacking = missing_numbers(sentence, passages)
    if lacking:
        return f"the cited passage(s) do not state {', '.join(sorted(lacking))}"
    clause = unsupported_clause(sentence, joined)
    if clause:
        return f"the cited passage(s) do not support “{clause}”"
    return changed_meaning(sentence, joined)


def quote_span(sentence: str, passage: str) -> tuple[int, int]:
    """The span of the passage sentence(s) that best support the claim: the best sentence,
    extended to the next or previous one when it alone covers under 80% of what the
    passage covers and the neighbour adds terms it lacks."""
    spans = split_sentences(passage) or [(0, len(passage))]
    claim = claim_terms(sentence)
    covered = [claim & set(terms(passage[s:e])) for s, e in spans]
    best = max(range(len(spans)), key=lambda i: (len(covered[i]), -i))
    start, end = spans[best]
    if len(covered[best]) >= 0.8 * len(set().union(*covered)):
        return start, end
    for j in (best + 1, best - 1):
        if 0 <= j < len(spans) and covered[j] - covered[best]:
            start, end = min(start, spans[j][0]), max(end, spans[j][1])
            break
    return start, end


@dataclass(frozen=True)
class Passage:
    """One numbered passage as the model saw it, with what the citation needs."""

    text: str
    chunk_id: str = ""
    article_id: str = ""
    article_title: str = ""
    paragraph: int = 0
    published: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Cited:
    marker: int  # the renumbered marker the user sees
    passage: int  # 0-based index into the given passages
    quote_span: tuple[int, int]
    score: float


@dataclass(frozen=True)
class Verdict:
    text: str | None  # the sentence as shown to the user (markers renumbered), or None: removed
    reason: str | None = None  # why it was removed


@dataclass
class Checker:
    """Checks reply sentences one at a time against the passages given to the model."""

    passages: list[Passage]
    threshold: float = SUPPORT_THRESHOLD
    question: str = ""  # when given, a sentence must also address it (see `check`)
    cited: dict[int, Cited] = field(default_factory=dict)  # passage index -> citation
    removed: list[tuple[str, str]] = field(default_factory=list)  # (sentence, reason)
    _said: set = field(default_factory=set)  # the terms of the sentences kept so far

    def check(self, sentence: str) -> Verdict:
        sentence = " ".join(sentence.split())
        given = [int(m) for m in MARKER.findall(sentence)]
        claim = claim_terms(sentence)
        if not claim:  # "Sure." or a refusal: dropped, but not counted as an unsupported claim
            return Verdict(None, "it asserts nothing")
        if says_no_answer(sentence):  # a refusal, not a claim: generate decides what it means
            return Verdict(None, "it says the passages do not answer")
        tokens = words(strip_markers(sentence))
        if len(tokens) >= 12 and len(set(tokens)) < 0.5 * len(tokens):  # a small model stuck in a loop
            return self._remove(sentence, "it repeats itself")
        if self._said and claim <= self._said:  # says again what a kept sentence said
            return Verdict(None, "it repeats a kept sentence")
        asked = claim_terms(self.question)
        if asked and not claim & (asked | self._said):
            # True but beside the point ("The article was written by ...") is not an answer:
            # a sentence must share a term with the question or with a sentence already kept.
            return self._remove(sentence, "it does not address the question")
        bad = sorted({n for n in given if not 1 <= n <= len(self.passages)})
        if bad:
            return self._remove(sentence, f"it cites [{bad[0]}] but only {len(self.passages)} passages were given")
        idx = sorted({n - 1 for n in given})
        if not idx:  # no marker: the one passage that supports it best, if any
            scores = [(support(sentence, p.text), i) for i, p in enumerate(self.passages)]
            best, i = max(scores, default=(0.0, -1), key=lambda s: (s[0], -s[1]))
            if best < self.threshold:
                return self._remove(sentence, "it has no citation and no passage supports it")
            idx = [i]
        reason = unsupported(sentence, [self.passages[i].text for i in idx], self.threshold)
        if reason:
            return self._remove(sentence, reason)
        # Keep the markers whose passage contributes to the claim; renumber in order of first use.
        useful = [i for i in idx if claim & set(terms(self.passages[i].text))] or idx[:1]
        for i in useful:
            if i not in self.cited:
                span = quote_span(sentence, self.passages[i].text)
                self.cited[i] = Cited(len(self.cited) + 1, i, span, round(support(sentence, self.passages[i].text), 4))
        self._said |= claim
        body = strip_markers(sentence)
        end = body[-1] if body[-1:] in (".", "!", "?") else ""
        body = body[: len(body) - len(end)].rstrip()
        marks = "".join(f"[{self.cited[i].marker}]" for i in useful)
        return Verdict(f"{body} {marks}{end}")

    def _remove(self, sentence: str, reason: str) -> Verdict:
        self.removed.append((sentence, reason))
        return Verdict(None, reason)

    def citations(self) -> tuple:
        """The `Citation`s of the kept sentences, in marker order."""
        out = []
        for c in sorted(self.cited.values(), key=lambda c: c.marker):
            p = self.passages[c.passage]
            s, e = c.quote_span
            out.append(
                Citation(
                    marker=c.marker,
                    chunk_id=p.chunk_id,
                    article_id=p.article_id,
                    article_title=p.article_title,
                    paragraph=p.paragraph,
                    quote=p.text[s:e].strip(),
                    text=p.text,
                    score=c.score,
                    quote_span=(s, e),
                    published=p.published,
                    url=p.url,
                )
            )
        return tuple(out)


def sentences(text: str) -> list[str]:
    """A reply split into sentences, markers kept with the sentence they close."""
    text = normalize_markers(text)
    return [text[s:e] for s, e in split_sentences(text)] or ([text.strip()] if text.strip() else [])


_NO_ANSWER = re.compile(
    r"\b(?:does|do|did|is|are)(?: not|n['’]t) (?:provide|give|say|mention|state|contain|include|specify|tell|answer|"
    r"have|know)\b|\bno (?:information|mention|details?|answer)\b|\bnot (?:mentioned|stated|specified|provided)\b",
    re.I,
)


def says_no_answer(sentence: str) -> bool:
    """'The article does not provide any information about X' - a refusal in other words,
    which lexical support cannot check (it repeats the question's terms)."""
    return _NO_ANSWER.search(sentence) is not None


def is_refusal(text: str, refusal: str) -> bool:
    """Did the model refuse: the refusal sentence (and essentially nothing else), or only
    sentences saying the passages lack the answer?"""
    said = words(strip_markers(text))
    target = words(refusal)
    if said and said[: len(target)] == target and len(said) <= len(target) + 12:
        return True
    parts = sentences(text)
    return bool(parts) and all(says_no_answer(s) for s in parts)
