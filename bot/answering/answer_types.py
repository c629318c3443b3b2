"""What a question asks for (a number, a date, a place...) and whether a sentence holds it.

>>> answer_type("How far can it fly?")
'distance'
"""

from __future__ import annotations

import re

from ..text.words import STOPWORDS, stem, words

_NUMBER = r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozens?|hundreds?|thousands?|millions?|billions?|first|second|third|once|twice)\b"
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_DATE = (
    rf"\b(?:\d{{4}}|\d{{1,2}}:\d{{2}}|{_MONTHS}|monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"today|yesterday|tomorrow|tonight|ago|date|dates|(?:next|last|this|earlier this|later this) (?:week|month|year))\b"
)
ANSWER_TYPES = {
    # type: (question pattern, evidence pattern); the first that matches the question wins.
    "time": (
        r"\b(?:what|which) time\b|\btime of (?:the )?day\b",  # a clock time, not just a day
        r"\b\d{1,2}[:.]\d{2}\b|\b(?:a\.m\.|p\.m\.|am|pm|o'clock|morning|afternoon|evening|night|noon|midnight|dawn|dusk)\b",
    ),
    "money": (
        r"\b(?:cost|costs|price|priced|pay|paid|spend|spent|worth|budget|dollars?)\b",
        r"[$€£]|\b(?:dollars?|euros?|pounds?|cost|costs|price|worth|budget|paid|funding)\b",
    ),
    "distance": (
        r"\bhow far\b|\bdistance\b|\brange\b",
        r"\b\d[\d,.]*\s*(?:miles?|km|kilomet\w+|met(?:er|re)s?|feet)\b",
    ),
    "date": (
        r"\bwhen\b|\bwhat (?:day|date|year|month)\b|\bwhich (?:day|date|year|month)\b|\bon what date\b|\bhow long ago\b",
        _DATE,
    ),
    "count": (
        r"\bhow many\b|\bhow much\b|\b(?:number|percentage|percent|share) of\b|\bwhat (?:\w+ )?(?:number|percentage)\b",
        _NUMBER,
    ),
    "duration": (r"\bhow long\b", r"\b(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?)\b"),
    # A place: a locative word before a proper noun ("at the White House", "on board Air
    # Force One", "datelined Washington"). A leading "where" is typed in answer_type.
    "place": (
        r"\bin which (?:city|country|place)\b",
        r"\b(?:in|at|on board|aboard|from|near|inside|outside|within|into|datelined)\s+(?:the\s+)?(?-i:[A-Z])",
    ),
}
KIND_PHRASES = {
    "time": "a time of day",
    "money": "an amount of money",
    "distance": "a distance",
    "date": "a date",
    "count": "a number",
    "duration": "how long",
    "place": "a place",
}
_HOW_MANY = re.compile(r"\bhow many (?:more |of the |of )?(\w+)", re.I)


def answer_type(question: str) -> str | None:
    """'How far can it fly?' -> 'distance'; None when the question asks for no special type."""
    q = question.lower().strip()
    # The question's own wh-word comes first: "Where was he when he said it?" asks for a place.
    lead = re.match(r"(?:and |so |then |but )?(where|when)\b", q)
    if lead:
        return "place" if lead[1] == "where" else "date"
    for name, (pattern, _) in ANSWER_TYPES.items():
        if re.search(pattern, q):
            return name
    return None


def fits_type(kind: str | None, sentence: str, question: str = "") -> bool:
    """Does the sentence hold the kind of thing asked for? For "how many N", a number
    must count N (or say how many times): "3350 ERAMs" fits "How many ERAMs", "995 miles" does not."""
    if kind is None:
        return True
    if re.search(ANSWER_TYPES[kind][1], sentence, re.I) is None:
        return False
    m = _HOW_MANY.search(question) if kind == "count" else None
    if m and m[1].lower() not in STOPWORDS:
        noun = stem(m[1].lower())
        if noun == "time":
            return re.search(r"\b(?:once|twice|first|second|third|\w+ times)\b", sentence, re.I) is not None
        tokens = words(sentence)
        for i, tok in enumerate(tokens):
            if re.fullmatch(_NUMBER, tok) or tok.isdigit():
                if any(stem(t) == noun for t in tokens[i + 1 : i + 4]):
                    return True
        return False
    return True
