"""Follow-up rewriting: a question that leans on the chat ("What did he say?", "And in
2010?") becomes a self-contained search query.

The spaCy parse of the question and of the last turns does the work: a personal pronoun
takes the person the assistant's last reply introduced, or else the one the last user
turn named; it/its/they/their takes the last user turn's first non-person entity or noun
chunk; a short question without a verb is appended to the last user turn. Only general
English is written here: the pronouns and the entity labels that are not things.
"""

from __future__ import annotations

import re

from ..text import nlp as nlpmod

WH = frozenset("who whom whose what which when where why how".split())
PRONOUNS_PERSON = frozenset({"he", "she", "him", "her", "his", "hers"})
PRONOUNS_THING = frozenset({"it", "its", "they", "them", "their", "theirs"})
NOT_THINGS = frozenset({"PERSON", "DATE", "TIME", "CARDINAL", "ORDINAL", "PERCENT", "MONEY", "QUANTITY"})
_ABOUT = re.compile(r"(?i)\s*(and\s+)?(what|how)\s+about\b")


def _last(history: list[dict], role: str) -> str:
    return next((t.get("content", "") for t in reversed(history) if t.get("role") == role), "")


def rewrite_followup(text: str, history: list[dict]) -> tuple[str, bool]:
    """(the search query, whether it differs from the question).

    >>> rewrite_followup("What did he say?", [])
    ('What did he say?', False)
    """
    if not history:
        return text, False
    nlp = nlpmod.load()
    doc = nlp(text)
    user = nlp(_last(history, "user"))
    reply = nlp(_last(history, "assistant"))
    asked = [e.text for e in user.ents if e.label_ == "PERSON"]
    # A person the answer introduced is the new subject ("Who met X?" "Y met X" "What did he say?": Y).
    people = [e.text for e in reply.ents if e.label_ == "PERSON" and e.text not in asked] + asked
    things = [e.text for e in user.ents if e.label_ not in NOT_THINGS]
    things += [c.text for c in user.noun_chunks if c.root.pos_ != "PRON" and c.root.lower_ not in WH]
    out, changed = [], False
    for tok in doc:
        low = tok.lower_
        repl = None
        if low in PRONOUNS_PERSON and people:
            repl = people[0] + ("'s" if low in ("his", "hers") or (low == "her" and tok.dep_ == "poss") else "")
        elif low in PRONOUNS_THING and things:
            repl = things[0] + ("'s" if low in ("its", "their", "theirs") else "")
        if repl:
            out.append(repl + tok.whitespace_)
            changed = True
        else:
            out.append(tok.text_with_ws)
    query = "".join(out)
    has_verb = any(t.pos_ in ("VERB", "AUX") for t in doc)
    if not changed and (not has_verb or _ABOUT.match(text)):
        query = _last(history, "user") + " " + text
        changed = True
    return query, changed


def rewrite(question: str, history: list[dict]) -> str:
    """The search query for `question` in this chat (the question itself when it stands alone)."""
    return rewrite_followup(question, history)[0]
