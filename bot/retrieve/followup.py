"""Follow-up rewriting: from what the user asked after a conversation to what is searched.

A follow-up that leans on the conversation ("What is its range?") is rewritten into a
self-contained query from the entities of the last turn, with no language model:
a personal pronoun takes the last person named, another pronoun the last thing
named, and an elliptical question ("And the ERAM?") takes the shape of the previous
question with its subject swapped. A question that stands alone is searched as asked.
"""

from __future__ import annotations

import re

from ..text.words import STOPWORDS

PERSONAL = {"he", "him", "his", "she", "her", "hers"}
IMPERSONAL = {"it", "its", "they", "them", "their", "theirs"}
DEMONSTRATIVE = re.compile(
    r"\b(this|that|these|those)\b(?=\s*(?:[?.!]|$|\b(?:is|was|mean|means|about|one|weapon|missile|bill|meeting|call)\b))",
    re.I,
)
ELLIPSIS = re.compile(r"^(?:and|but|also|what about|how about|what of|and what about|same for)\b[\s,]*", re.I)
BARE = re.compile(r"^(?:why|how|when|where|who|how so|why not|really|anything else|what else|and then|more)\W*$", re.I)
_ENTITY = re.compile(r"\b(?:[A-Z][\w'’-]*|[A-Z]{2,}s?)(?:\s+(?:of\s+)?[A-Z][\w'’-]*)*")
_QUESTION_WORDS = {
    "what",
    "who",
    "whom",
    "whose",
    "when",
    "where",
    "why",
    "how",
    "which",
    "is",
    "are",
    "was",
    "were",
    "do",
    "does",
    "did",
    "can",
    "could",
    "will",
    "would",
    "should",
    "has",
    "have",
    "and",
    "but",
    "the",
    "a",
    "an",
    "in",
    "on",
    "i",
    "tell",
    "give",
    "list",
    "name",
    "explain",
    "describe",
    "please",
    "so",
    "also",
    "according",
    "about",
    "it",
    "he",
    "she",
    "they",
    "this",
    "that",
}
_ASKS_FOR_THING = re.compile(
    r"^\s*(?:which|what) (?:country|city|place|state|nation|weapon|missile|organi[sz]ation|company|bill|treaty)\b", re.I
)
_DISCOURSE = {
    "however",
    "meanwhile",
    "although",
    "despite",
    "following",
    "speaking",
    "experts",
    "after",
    "before",
    "instead",
    "still",
    "yet",
    "moreover",
    "furthermore",
    "finally",
    "first",
    "then",
    "yes",
    "no",
}
_ROLE_NAME = re.compile(
    r"(?:President|adviser|advisor|analyst|fellow|Leader|Secretary(?: of State)?|Senator|Minister|Chancellor|"
    r"spokes(?:man|woman|person)|[Ee]xperts? like|by|said|says|told)[\s,:]+((?:[A-Z][\w'’-]+\s?){2,3})"
)


def person_names(texts) -> set[str]:
    """Names that the articles use for people, and their surnames.

    >>> sorted(person_names(["analyst Mark Montgomery said so"]))
    ['Mark Montgomery', 'Montgomery']
    """
    names = set()
    for text in texts:
        for m in _ROLE_NAME.finditer(text):
            name = m[1].strip()
            parts = name.split()
            if 2 <= len(parts) <= 3:
                names.add(name)
                names.add(parts[-1])
    return names


def entities(text: str) -> list[str]:
    """Capitalised names and acronyms in order of appearance, question words left out.

    >>> entities("What is the range of the Tomahawk missile, says Trump?")
    ['Tomahawk', 'Trump']
    """
    out = []
    for m in _ENTITY.finditer(text):
        parts = m[0].split()
        while parts and parts[0].lower() in _QUESTION_WORDS:
            parts = parts[1:]
        if len(parts) == 1 and (parts[0].lower() in STOPWORDS or parts[0].lower() in _DISCOURSE):
            continue
        if parts:
            out.append(" ".join(parts).rstrip("'’").removesuffix("'s").removesuffix("’s"))
    return out


def _last(history, role: str) -> str:
    for turn in reversed(history or []):
        if turn.get("role") == role and turn.get("content"):
            return str(turn["content"])
    return ""


def _pick(candidates: list[str], people: set[str], personal: bool) -> str | None:
    for c in candidates:
        is_person = c in people or c.split()[-1] in people
        if is_person == personal:
            return c
    return None


CHAIN = 4  # how many earlier questions a chain of follow-ups is resolved through


def rewrite(question: str, history, people: set[str] | frozenset[str] = frozenset()) -> str:
    """The query to search for `question` asked after `history` (turns of role/content).
    The previous question is first read as it was searched, so a chain of follow-ups keeps
    its subject: "What is a Tomahawk?", "Who makes it?", "When was it first used?"."""
    return _rewrite(question, history, people, CHAIN)


def _rewrite(question: str, history, people, chain: int) -> str:
    if not history:
        return question
    prev_q, prev_a = _last(history, "user"), _last(history, "assistant")
    if prev_q and chain > 0:
        last_user = max(i for i, t in enumerate(history) if t.get("role") == "user" and t.get("content"))
        prev_q = _rewrite(prev_q, history[:last_user], people, chain - 1)
    if not prev_q and not prev_a:
        return question
    asked, answered = entities(prev_q), [e for e in entities(prev_a) if e not in entities(prev_q)]
    # "Which country will host it?" - "Hungary." then "its": the thing the last answer named.
    candidates = answered + asked if _ASKS_FOR_THING.match(prev_q) else asked + answered
    own = entities(question)
    tokens = re.findall(r"[\w'’]+|\W", question)
    lowered = [t.lower() for t in tokens]
    if any(t in PERSONAL or t in IMPERSONAL for t in lowered) or DEMONSTRATIVE.search(question):
        replaced, changed = [], False
        for tok, low in zip(tokens, lowered):
            personal = low in PERSONAL
            if low in PERSONAL or low in IMPERSONAL:
                who = _pick(candidates, people, personal) or (candidates[0] if candidates else None)
                if low in ("they", "them", "their", "theirs"):
                    persons = [c for c in candidates if c in people or c.split()[-1] in people]
                    if len(persons) >= 2:
                        who = f"{persons[0]} and {persons[1]}"
                if who and not personal:
                    who = _noun_phrase(who, prev_q) or who
                if who and who not in own:
                    possessive = low in ("his", "its", "their", "theirs", "hers") or (
                        low == "her" and _followed_by_noun(tokens, tokens.index(tok))
                    )
                    replaced.append(f"{who}'s" if possessive else who)
                    changed = True
                    continue
            replaced.append(tok)
        query = "".join(replaced)
        if DEMONSTRATIVE.search(query) and prev_q:
            query = f"{query} ({prev_q.rstrip('?.! ')})"
            changed = True
        return query if changed else question
    m = ELLIPSIS.match(question)
    if (m or len(question.split()) <= 3) and own and prev_q:
        subject = own[0]
        prev_entities = entities(prev_q)
        if prev_entities:
            return prev_q.replace(prev_entities[0], subject, 1)
        return f"{prev_q.rstrip('?.! ')} {subject}?"
    if BARE.match(question) and prev_q:
        return _ask_again(question.rstrip("?.! ").strip(), prev_q)
    return question


_AUX_WORDS = r"(?:is|are|was|were|do|does|did|can|could|will|would|should|has|have|had)\b"
_AUX = re.compile("^" + _AUX_WORDS, re.I)
# A wh-word directly before its auxiliary ("Where will", "What did"): the slot can take another.
_WH = re.compile(r"^(?:and |but |so )?(?:what|when|where|why|how)\s+(?=" + _AUX_WORDS + ")", re.I)


def _ask_again(bare: str, prev_q: str) -> str:
    """A bare wh-word asks the previous question again about something else: 'When?' after
    'Where will they meet?' is 'When will they meet?', and 'Why?' after 'Did he sign it?' is
    'Why did he sign it?'. Otherwise ('Why?' after 'Who called?') the previous question
    goes beside it: 'Why: Who called?'."""
    if bare.lower() in ("why", "how", "when", "where", "who"):
        wh = _WH.match(prev_q)
        if wh:
            return f"{bare.capitalize()} {prev_q[wh.end() :]}"
        if _AUX.match(prev_q):
            return f"{bare.capitalize()} {prev_q[0].lower()}{prev_q[1:]}"
    return f"{bare}: {prev_q}"


def _noun_phrase(name: str, text: str) -> str | None:
    """The compound a name modifies, as the object of a preposition ending the question:
    "it" after "Who is for the new Russia sanctions bill?" is the bill, not Russia. A name
    before a single noun is the thing itself ("a Tomahawk missile" is a Tomahawk), and
    words after a name with no preposition before it may be a verb ("can a Tomahawk
    missile fly?").

    >>> _noun_phrase("Russia", "Who is optimistic about the new Russia sanctions bill?")
    'the new Russia sanctions bill'
    >>> _noun_phrase("Tomahawk", "What is the range of a Tomahawk missile?") is None
    True
    """
    m = re.search(
        rf"\b(?:about|of|on|for|in|with|to|from|against|over|by)\s+((?:the|a|an)\s+(?:[a-z][\w-]*\s+){{0,2}}){re.escape(name)}((?:\s+[a-z][\w-]*){{2,}})\s*[?.!]*\s*$",
        text,
    )
    if m is None or m[2].split()[0] in STOPWORDS:
        return None
    return " ".join([*m[1].split(), name, *m[2].split()])


def _followed_by_noun(tokens, i: int) -> bool:
    """'her view' (possessive) versus 'asked her' (object)."""
    rest = [t for t in tokens[i + 1 :] if t.strip()]
    return bool(rest) and rest[0][0].isalpha() and rest[0].lower() not in {"to", "about", "for", "if", "that", "and"}
