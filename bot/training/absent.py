"""Absent-detail twins of generated questions (`train-answerer --absent`; measured, not
shipped: docs/method.md).

A generated question's whole clause, nothing taken out, asked again with the question word
of a kind its source passage holds no entity of ("Where the firm made £10m in 2004?"), and
read with that passage alone as "no answer". Written near misses often ask for a detail
their sentence leaves out (a price, a year, a score), which the swapped twins do not teach.
The absence is judged from spaCy's entity labels, generously, so that few twins are
mislabelled; a twin whose answer is an unlabelled word in the clause still is.
"""

from __future__ import annotations

ABSENT_SHARE = 0.3  # of the answerable generated questions, asked again for a kind their passage lacks
ABSENT_MAX_WORDS = 25  # a written near miss is a question, not the whole sentence again
# The kinds an absent-detail twin asks for, each with every entity label its question word
# could be answered by (generously: "at Wimbledon" is an EVENT, "at the BBC" an ORG). A
# percentage is left out: nearly every passage lacks one, so it would be most of the twins.
ABSENT = {
    "Who": ("PERSON", "ORG", "NORP"),
    "When": ("DATE", "TIME"),
    "Where": ("GPE", "LOC", "FAC", "ORG", "EVENT"),
    "How many": ("CARDINAL", "QUANTITY", "MONEY", "PERCENT"),
    "How much": ("MONEY", "QUANTITY", "CARDINAL", "PERCENT"),
}
_PERSONAL = {"he", "she", "they", "him", "her", "them", "his", "their"}  # a "who" the passage may answer


def absent_kinds(docs) -> list[str]:
    """The question words (ABSENT) none of whose entity kinds occurs in these parsed
    sentences; "Who" only where no personal pronoun stands for someone either."""
    labels = {e.label_ for d in docs for e in d.ents}
    if any(t.lower_ in _PERSONAL for d in docs for t in d):
        labels.add("PERSON")
    return [wh for wh, kinds in ABSENT.items() if not labels & set(kinds)]
