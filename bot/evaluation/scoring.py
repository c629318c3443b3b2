"""Scoring one answer against its dataset example: retrieval, answer, grounding, refusal."""

from __future__ import annotations

from . import metrics as M
from .dataset import Example

REFUSED = "refused (scored by the refusal metrics)"


def gold_for(example: Example, index) -> tuple[list[set[str]] | None, str | None]:
    """The gold chunk sets of an answerable example, or why there are none."""
    if not example.reference_spans:
        return None, "no reference_spans"
    if example.article_id is None and len(index.articles) != 1:
        return None, "several articles and no article_id"
    article = index.articles.get(example.article_id or next(iter(index.articles)))
    if article is None:
        return None, f"article {example.article_id!r} is not indexed"
    spans = (*example.reference_spans, *example.alt_reference_spans)
    if any(not 0 <= s < e <= len(article.text) for s, e in spans):
        return None, "a reference span lies outside the article text"
    gold = M.gold_chunks(spans, [c for c in index.chunks.values() if c.article_id == article.id])
    if not all(gold):
        return None, "a reference span overlaps no passage"
    if example.alt_reference_spans:  # one gold passage, stated again elsewhere: either counts
        return [set().union(*gold)], None
    return gold, None


def score(answer: dict, example: Example, index) -> tuple[dict, dict]:
    """(scores, skipped reasons by metric group) of one answer."""
    scores, skipped = dict(M.refusal_scores(answer["abstained"], example.answerable)), {}
    gold, why = gold_for(example, index) if example.answerable else (None, None)
    if example.answerable:
        if gold:
            scores |= M.retrieval_scores(answer["retrieved_context_ids"], gold)
        else:
            skipped["retrieval"] = why
    if answer["abstained"]:
        skipped["answer"] = REFUSED
        return scores, skipped
    scores |= M.grounding_scores(answer["response"], answer["citations"], index.chunks.keys())
    if example.answerable:
        refs = example.references
        if refs:
            scores |= {
                "exact_match": M.exact_match(answer["response"], refs),
                "f1": M.token_f1(answer["response"], refs),
                "answer_recall": M.answer_recall(answer["response"], refs),
            }
        else:
            skipped["answer"] = "no reference"
        if gold:
            scores["citation_gold_hit"] = M.gold_hit(answer["citations"], gold)
        else:
            skipped["citation_gold_hit"] = why
    return scores, skipped


def example_fields(ex: Example) -> dict:
    return {
        "reference": ex.reference,
        "alt_references": list(ex.alt_references),
        "answerable": ex.answerable,
        "reference_contexts": list(ex.reference_contexts),
        "reference_spans": [list(s) for s in ex.reference_spans],
        **({"alt_reference_spans": [list(s) for s in ex.alt_reference_spans]} if ex.alt_reference_spans else {}),
        "history": list(ex.history),
        "tags": list(ex.tags),
    }
