"""Scoring one answer against its dataset example: retrieval, answer, grounding, refusal."""

from __future__ import annotations

from . import metrics as M
from .dataset import Example, locate
from .headline import NO_GOLD, headline_scores

REFUSED = "refused (scored by the refusal metrics)"


def _spans(example: Example, text: str) -> tuple[tuple, tuple, str | None]:
    """The example's gold spans (and alternative spans) in the article text: as given, or
    located from its quoted reference contexts (`dataset.locate`) when it gives none."""
    spans, alt = example.reference_spans, example.alt_reference_spans
    if not spans and example.reference_contexts:
        found = [locate(c, text) for c in example.reference_contexts]
        alt_found = [locate(c, text) for c in example.alt_reference_contexts]
        located = [s for s in found if s is not None]
        alt_located = [s for s in alt_found if s is not None]
        if len(located) < len(found) or len(alt_located) < len(alt_found):
            return (), (), "a reference context is not in the article text"
        spans, alt = tuple(located), tuple(alt_located) if len(located) == 1 else ()
    if not spans:
        return (), (), "no reference_spans"
    return spans, alt, None


def repeats_of(article, index) -> set[str]:
    """The ids of the indexed articles with the article's text (itself among them): an
    archive holds repeats, and an answer from one is an answer from the article."""
    return {aid for aid, other in index.articles.items() if other.text == article.text}


def gold_for(example: Example, index, repeats: bool = False) -> tuple[list[set[str]] | None, str | None]:
    """The gold chunk sets of an answerable example, or why there are none; with `repeats`,
    the same passages of its article's repeats count too (a citation's gold, never the
    retrieval's: a repeat retrieved beside the article is one passage more, not a second hit)."""
    if not example.reference_spans and not example.reference_contexts:
        return None, "no reference_spans"
    if example.article_id is None and len(index.articles) != 1:
        return None, "several articles and no article_id"
    article = index.articles.get(example.article_id or next(iter(index.articles)))
    if article is None:
        return None, f"article {example.article_id!r} is not indexed"
    found, alt, why = _spans(example, article.text)
    if why:
        return None, why
    spans = (*found, *alt)
    if any(not 0 <= s < e <= len(article.text) for s, e in spans):
        return None, "a reference span lies outside the article text"
    same = repeats_of(article, index) if repeats else {article.id}
    gold = M.gold_chunks(spans, [c for c in index.chunks.values() if c.article_id in same])
    if not all(gold):
        return None, "a reference span overlaps no passage"
    if alt:  # one gold passage, stated again elsewhere: either counts
        return [set().union(*gold)], None
    return gold, None


def article_hit(answer: dict, example: Example, index) -> float | None:
    """Whether the article answered from (the cited one; for a refusal, the best-retrieved
    passage's) is the example's, or one with the same text (an archive holds repeats)."""
    if example.article_id not in index.articles:
        return None
    if answer["citations"]:
        chosen = answer["citations"][0]["article_id"]
    elif answer["retrieved_context_ids"] and answer["retrieved_context_ids"][0] in index.chunks:
        chosen = index.chunks[answer["retrieved_context_ids"][0]].article_id
    else:
        return 0.0
    return float(chosen in repeats_of(index.articles[example.article_id], index))


def score(answer: dict, example: Example, index, archive: bool = False) -> tuple[dict, dict]:
    """(scores, skipped reasons by metric group) of one answer; `archive`: asked with no
    article pinned, so which article answered is scored too (answerable questions)."""
    scores, skipped = dict(M.refusal_scores(answer["abstained"], example.answerable)), {}
    if archive and example.answerable and (hit := article_hit(answer, example, index)) is not None:
        scores["article_hit@1"] = hit
    gold, why = gold_for(example, index) if example.answerable else (None, None)
    if example.answerable:
        if gold:
            scores |= M.retrieval_scores(answer["retrieved_context_ids"], gold)
        else:
            skipped["retrieval"] = why
    if example.answerable and not gold:
        skipped["answerable_right"] = NO_GOLD
    if answer["abstained"]:
        skipped["answer"] = REFUSED
        scores |= headline_scores(answer, example.answerable, example.references, None)
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
            cited_gold = gold_for(example, index, repeats=True)[0] if archive else gold  # a superset of gold
            scores["citation_gold_hit"] = M.gold_hit(answer["citations"], cited_gold or gold)
        else:
            skipped["citation_gold_hit"] = why
    scores |= headline_scores(answer, example.answerable, example.references, scores.get("citation_gold_hit"))
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
        "article_id": ex.article_id,
        **({"squad_answers": list(ex.raw["squad_answers"])} if "squad_answers" in ex.raw else {}),
    }
