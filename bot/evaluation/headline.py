"""The project's headline figures, per question and per group (set, article, tag).

- answerable_right: an answerable question answered (not refused), citing a gold passage
  (when the example names its gold evidence), with a response that holds at least 60% of
  a reference's words (`metrics.answer_recall` >= RIGHT_RECALL);
- unanswerable_refused: an unanswerable question refused;
- answerable_refused: an answerable question refused (lower is better);
- overall_right: answerable_right on answerable questions, refused on unanswerable ones;
- precision: over the answers given (not refused), the share that are right (an answer to
  an unanswerable question is wrong);
- short_exact_match, short_f1: the answer's `short_answer` against the references (SQuAD
  normalisation), over answered answerable questions that have one; short_correct:
  short_f1 >= SHORT_CORRECT_F1.
"""

from __future__ import annotations

from . import metrics as M

RIGHT_RECALL = 0.6
SHORT_CORRECT_F1 = 0.5
NO_GOLD = "judged on the response alone (no gold passage)"
GROUP_FIGURES = (*M.HEADLINE, "short_correct")


def headline_scores(answer: dict, answerable: bool, references: list[str], gold_hit: float | None) -> dict:
    """The headline figures of one answer; `gold_hit` is None when the gold passage is unknown.

    >>> headline_scores({"abstained": True}, False, [], None)
    {'unanswerable_refused': 1.0, 'overall_right': 1.0}
    >>> headline_scores({"abstained": False}, False, [], None)
    {'unanswerable_refused': 0.0, 'overall_right': 0.0, 'precision': 0.0}
    >>> a = {"abstained": False, "response": "In Budapest [1]", "short_answer": "Budapest"}
    >>> headline_scores(a, True, ["Budapest"], 1.0)["answerable_right"], headline_scores(a, True, ["Budapest"], 0.0)["answerable_right"]
    (1.0, 0.0)
    """
    abstained = bool(answer.get("abstained"))
    if not answerable:
        out = {"unanswerable_refused": float(abstained), "overall_right": float(abstained)}
        return out if abstained else out | {"precision": 0.0}
    right = (
        not abstained
        and bool(references)
        and M.answer_recall(answer.get("response") or "", references) >= RIGHT_RECALL
        and (gold_hit is None or gold_hit > 0)
    )
    out = {"answerable_right": float(right), "answerable_refused": float(abstained), "overall_right": float(right)}
    if not abstained:
        out["precision"] = float(right)
    short = answer.get("short_answer")
    if not abstained and references and isinstance(short, str) and short.strip():
        f1 = M.token_f1(short, references)
        out |= {
            "short_exact_match": M.exact_match(short, references),
            "short_f1": f1,
            "short_correct": float(f1 >= SHORT_CORRECT_F1),
        }
    return out


def _figures(records: list[dict]) -> dict:
    """Counts and shares of the headline figures over some records."""
    out: dict = {
        "questions": len(records),
        "answerable": sum(bool(r.get("answerable")) for r in records),
        "unanswerable": sum(not r.get("answerable") for r in records),
    }
    for name in GROUP_FIGURES:
        values = [r["scores"][name] for r in records if name in r.get("scores", {})]
        out[name] = {
            "right": int(sum(values)),
            "n": len(values),
            "value": round(sum(values) / len(values), 4) if values else None,
        }
    return out


def breakdown(records: list[dict]) -> dict:
    """The headline figures over the whole set, per article and per tag."""
    scored = [r for r in records if "scores" in r]
    by_article: dict[str, list[dict]] = {}
    by_tag: dict[str, list[dict]] = {}
    for r in scored:
        by_article.setdefault(r.get("article_id") or "(any)", []).append(r)
        for tag in r.get("tags") or ["(untagged)"]:
            by_tag.setdefault(tag, []).append(r)
    return {
        "set": _figures(scored),
        "by_article": {k: _figures(v) for k, v in sorted(by_article.items())},
        "by_tag": {k: _figures(v) for k, v in sorted(by_tag.items())},
    }


def _cell(entry: dict) -> str:
    if not entry["n"]:
        return "–"
    return f"{entry['right']}/{entry['n']} ({100 * entry['value']:.1f}%)"


def format_headline(head: dict) -> str:
    """The headline figures as Markdown: the set, then per tag, then per article."""
    titles = (
        "answerable answered right",
        "unanswerable refused",
        "answerable refused",
        "overall right",
        "answers right",
    )
    header = "| {} | n | " + " | ".join(titles) + " | short answer correct |"
    rule = "|---|---:|" + "---:|" * (len(GROUP_FIGURES))
    s = head["set"]
    lines = [
        "Headline: answerable answered right "
        + _cell(s["answerable_right"])
        + ", unanswerable refused "
        + _cell(s["unanswerable_refused"])
        + ", answerable refused "
        + _cell(s["answerable_refused"])
        + ", overall right "
        + _cell(s["overall_right"])
        + ", answers given that are right "
        + _cell(s["precision"])
        + ", short answer correct "
        + _cell(s["short_correct"]),
    ]
    for key, what in (("by_tag", "tag"), ("by_article", "article")):
        if len(head[key]) < 2:
            continue
        lines += ["", header.format(what), rule]
        for name, f in head[key].items():
            lines.append(f"| {name} | {f['questions']} | " + " | ".join(_cell(f[m]) for m in GROUP_FIGURES) + " |")
    return "\n".join(lines)
