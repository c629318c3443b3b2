"""Metric functions against hand-computed cases, refusals and empty answers included."""

import json
import math
import re
import string

import pytest

from bot.evaluation import metrics as M
from bot.evaluation.calibration import best_threshold, threshold_sweep

PASSAGE = "Trump will meet Putin in Budapest. The two leaders spoke for two hours on Thursday."


def squad_normalize(s):
    """The official SQuAD v1.1/v2.0 evaluation script's normalize_answer, verbatim in logic."""
    s = s.lower()
    s = "".join(ch for ch in s if ch not in set(string.punctuation))
    s = re.sub(r"\b(a|an|the)\b", " ", s)
    return " ".join(s.split())


@pytest.mark.parametrize(
    "text", ["The Cat!", "An apple a day", "Don't stop", "  spaced   out ", "", "a", "3,350 ERAMs."]
)
def test_normalize_answer_matches_the_squad_script_on_ascii(text):
    assert M.normalize_answer(text) == squad_normalize(text)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("“Budapest” [1]…", "budapest"),
        ("Zelenskyy’s visit [12]", "zelenskyys visit"),
        ("— the end —", "end"),
    ],
)
def test_normalize_answer_drops_markers_and_unicode_punctuation(text, expected):
    assert M.normalize_answer(text) == expected


@pytest.mark.parametrize(
    "prediction, references, expected",
    [
        ("Budapest", ["In Budapest, Hungary", "Budapest"], 1.0),
        ("the Budapest. [1]", ["Budapest"], 1.0),
        ("Vienna", ["Budapest"], 0.0),
        ("", ["Budapest"], 0.0),
        ("Budapest", [], 0.0),
    ],
)
def test_exact_match(prediction, references, expected):
    assert M.exact_match(prediction, references) == expected


@pytest.mark.parametrize(
    "prediction, references, expected",
    [
        ("in Budapest", ["Budapest, Hungary"], 0.5),  # 1 common of 2 and 2: p = r = 1/2
        ("Putin initiated the call [1]", ["Putin"], 0.5),  # p = 1/3, r = 1: 2·(1/3)/(4/3)
        ("Putin", ["Vladimir Putin", "Putin"], 1.0),  # the best reference counts
        ("Putin", ["Vladimir Putin"], 0.6667),
        ("", ["Budapest"], 0.0),
        ("Budapest", [], 0.0),
        ("Budapest", [""], 0.0),
    ],
)
def test_token_f1(prediction, references, expected):
    assert M.token_f1(prediction, references) == expected


@pytest.mark.parametrize(
    "prediction, references, expected",
    [
        ("Putin initiated the call [1]", ["Vladimir Putin"], 0.5),
        ("Putin initiated the call [1]", ["Vladimir Putin", "Putin"], 1.0),
        ("very good", ["very very good"], 0.6667),  # repeated reference tokens count each time
        ("", ["Budapest"], 0.0),
        ("Budapest", ["", "the"], 0.0),  # references with no tokens give no credit
        ("It shows Rory Bremner's impression of him [1]", ["Rory Bremner"], 1.0),  # a possessive is the name
        ("RORY BREMNERʼS impression", ["Rory Bremner"], 1.0),
        ("the Bremners' house [1]", ["Rory Bremner"], 0.0),  # a plural is not
        ("in the 1990's", ["1990s"], 1.0),  # as written still counts
        ("MP's expenses", ["MPs expenses"], 1.0),
        ("Lord Sainsbury", ["Sainsbury's"], 0.0),  # the reference is taken as written
    ],
)
def test_answer_recall(prediction, references, expected):
    assert M.answer_recall(prediction, references) == expected


class C:
    def __init__(self, id, start, end):
        self.id, self.start, self.end = id, start, end


def test_gold_chunks_maps_spans_onto_overlapping_chunks_only():
    chunks = [C("a", 0, 6), C("b", 7, 20), C("c", 20, 30)]
    assert M.gold_chunks([(5, 12), (20, 21), (6, 7)], chunks) == [{"a", "b"}, {"c"}, set()]


def test_retrieval_scores_hand_computed():
    s = M.retrieval_scores(["x", "a", "y", "b", "z"], [{"a"}, {"b"}])
    assert [s["hit@1"], s["recall@1"], s["mrr@1"], s["ndcg@1"]] == [0.0, 0.0, 0.0, 0.0]
    ideal = 1 + 1 / math.log2(3)
    assert [s["hit@3"], s["recall@3"], s["mrr@3"]] == [1.0, 0.5, 0.5]
    assert s["ndcg@3"] == round((1 / math.log2(3)) / ideal, 4) == 0.3869
    assert [s["hit@5"], s["recall@5"], s["mrr@5"]] == [1.0, 1.0, 0.5]
    assert s["ndcg@5"] == round((1 / math.log2(3) + 1 / math.log2(5)) / ideal, 4) == 0.6509


def test_a_span_straddling_two_chunks_is_recalled_by_either():
    s = M.retrieval_scores(["b", "q"], [{"a", "b"}])
    assert (s["recall@1"], s["hit@1"], s["ndcg@1"]) == (1.0, 1.0, 1.0)
    assert s["ndcg@3"] == round(1 / (1 + 1 / math.log2(3)), 4)  # two relevant chunks, one retrieved


@pytest.mark.parametrize("ranked", [[], ["x", "y"]])
def test_retrieval_scores_are_zero_when_nothing_relevant_is_retrieved(ranked):
    assert set(M.retrieval_scores(ranked, [{"a"}]).values()) == {0.0}


def test_duplicate_retrieved_ids_count_once():
    assert M.retrieval_scores(["x", "x", "a"], [{"a"}])["mrr@3"] == 0.5


def cite(marker=1, text=PASSAGE, quote="Trump will meet Putin in Budapest.", chunk_id="c1"):
    return {"marker": marker, "chunk_id": chunk_id, "text": text, "quote": quote}


@pytest.mark.parametrize(
    "response, expected",
    [
        # markers after the full stop belong to the sentence before; a sentence asserting nothing is no claim
        (
            "Trump will meet Putin. [1] They spoke for two hours [2]. So it is.",
            [("Trump will meet Putin.", [1]), ("They spoke for two hours.", [2])],
        ),
        # a marker closing a quoted run cites the whole run
        (
            'Zelenskyy hopes for peace. "It is sure to work," he said. [1]',
            [("Zelenskyy hopes for peace.", [1]), ('"It is sure to work," he said.', [1])],
        ),
        # a sentence after the last marker is uncited
        ("Trump will meet Putin [1]. Hungary hosts.", [("Trump will meet Putin.", [1]), ("Hungary hosts.", [])]),
        ("", []),
    ],
)
def test_claims_and_the_markers_citing_them(response, expected):
    assert M.claims(response) == expected


def test_extractive_style_answers_are_faithful_by_construction():
    # What citations.compose writes: verbatim sentences, each followed by its marker, a
    # long one cut with " …", two non-adjacent sentences quoted joined by " … ".
    response = "Trump will meet Putin in Budapest. [1] The two leaders spoke for two hours …  [1]"
    quote = "Trump will meet Putin in Budapest. … The two leaders spoke for two hours on Thursday."
    scores = M.grounding_scores(response, [cite(quote=quote)], known_chunk_ids={"c1"})
    assert scores == {"faithfulness": 1.0, "citation_validity": 1.0, "citation_precision": 1.0, "citation_recall": 1.0}


@pytest.mark.parametrize(
    "response, citations, expected",
    [
        # a claim the cited passage does not hold
        ("Hungary has ten million people [1].", [cite()], (0.0, 1.0, 0.0, 1.0)),
        # the right words but a number the passage never states
        ("Trump will meet Putin in Budapest in 2026 [1].", [cite()], (0.0, 1.0, 0.0, 1.0)),
        # a marker naming no citation
        ("Trump will meet Putin in Budapest [2].", [cite()], (0.0, 0.0, 0.0, 0.0)),
        # a citation whose quote is not in its passage
        ("Trump will meet Putin in Budapest [1].", [cite(quote="Putin will visit Vienna.")], (0.0, 0.0, 0.0, 0.0)),
        # an uncited sentence held by a passage the answer cites; the other one cited
        ("The leaders spoke for two hours [1]. Trump will meet Putin in Budapest.", [cite()], (1.0, 1.0, 1.0, 0.5)),
        # a run closed by one marker: both sentences cited, one unsupported
        ("Trump will meet Putin in Budapest. Hungary has ten million people [1].", [cite()], (0.5, 1.0, 0.5, 1.0)),
        # no marker at all: nothing to validate is not valid
        ("Trump will meet Putin in Budapest.", [], (0.0, 0.0, 0.0, 0.0)),
        # an empty answer that is not a refusal supports nothing
        ("", [cite()], (0.0, 0.0, 0.0, 0.0)),
    ],
)
def test_grounding_scores_hand_computed(response, citations, expected):
    s = M.grounding_scores(response, citations)
    assert (s["faithfulness"], s["citation_validity"], s["citation_precision"], s["citation_recall"]) == expected


def test_citation_of_a_chunk_missing_from_the_index_is_invalid():
    s = M.grounding_scores("Trump will meet Putin in Budapest [1].", [cite(chunk_id="gone")], known_chunk_ids={"c1"})
    assert s["citation_validity"] == 0.0


@pytest.mark.parametrize("citations, expected", [([cite(chunk_id="a")], 1.0), ([cite(chunk_id="z")], 0.0), ([], 0.0)])
def test_gold_hit(citations, expected):
    assert M.gold_hit(citations, [{"a", "b"}]) == expected


@pytest.mark.parametrize(
    "abstained, answerable, expected",
    [
        (True, False, {"correct_refusal_rate": 1.0}),
        (False, False, {"correct_refusal_rate": 0.0}),
        (True, True, {"false_refusal_rate": 1.0, "answer_rate": 0.0}),
        (False, True, {"false_refusal_rate": 0.0, "answer_rate": 1.0}),
    ],
)
def test_refusal_scores(abstained, answerable, expected):
    assert M.refusal_scores(abstained, answerable) == expected


def test_threshold_sweep_and_best_threshold_hand_computed():
    rows = threshold_sweep([0.0, 0.2, 0.4, 0.6], [False, False, True, True])
    by_t = {r["threshold"]: r for r in rows}
    assert by_t[0.0] == {"threshold": 0.0, "false_refusal_rate": 0.0, "correct_refusal_rate": 0.0, "accuracy": 0.5}
    assert by_t[0.3] == {"threshold": 0.3, "false_refusal_rate": 0.0, "correct_refusal_rate": 1.0, "accuracy": 1.0}
    assert by_t[0.5] == {"threshold": 0.5, "false_refusal_rate": 0.5, "correct_refusal_rate": 1.0, "accuracy": 0.75}
    best = best_threshold(rows)
    # 0.21-0.40 all refuse both unanswerable questions and no answerable one: 0.30 is their middle
    assert (best["best"], best["best_accuracy"], best["calibrated"]) == (0.21, 1.0, 0.3)


def test_threshold_sweep_without_unanswerable_questions_reports_none_not_zero():
    rows = threshold_sweep([0.5], [True], [0.3])
    assert rows == [{"threshold": 0.3, "false_refusal_rate": 0.0, "correct_refusal_rate": None, "accuracy": 1.0}]
    assert threshold_sweep([], []) == []
    assert best_threshold([])["best"] is None
    # the calibration needs both kinds of question: with one, it has nothing to trade off
    assert best_threshold(threshold_sweep([0.3, 0.5, 0.6, 0.9], [True] * 4))["calibrated"] is None
    assert best_threshold(threshold_sweep([0.3, 0.5], [False, False]))["calibrated"] is None


@pytest.mark.parametrize(
    "values, q, expected", [([1, 2, 3, 4], 50, 2.5), ([1, 2, 3, 4], 95, 3.85), ([7], 95, 7.0), ([], 50, None)]
)
def test_percentile(values, q, expected):
    assert M.percentile(values, q) == (pytest.approx(expected) if expected is not None else None)


def test_latency_summary_counts_each_stage_on_its_own():
    s = M.latency_summary([{"retrieve": 1.0, "total": 3.0}, {"retrieve": 3.0, "answer": 2.0, "total": 5.0}])
    assert s["retrieve"] == {"p50": 2.0, "p95": 2.9, "max": 3.0, "n": 2}
    assert s["answer"] == {"p50": 2.0, "p95": 2.0, "max": 2.0, "n": 1}
    assert s["floor"] == {"p50": None, "p95": None, "max": None, "n": 0}


def test_latency_against_its_floor():
    s = M.latency_summary([{"total": 30.0, "floor": 2.0}, {"total": 50.0, "floor": 4.0}])
    assert M.latency_x_floor(s) == {"p50": round(40.0 / 3.0, 2), "p95": round(49.0 / 3.9, 2)}
    assert M.latency_x_floor(M.latency_summary([{"total": 30.0}])) == {"p50": None, "p95": None}


def test_bootstrap_interval_is_deterministic_and_holds_the_mean():
    values = [0, 1, 1, 0, 1, 1, 1, 0, 1, 1]
    lo, hi = M.bootstrap_ci(values)
    assert M.bootstrap_ci(values) == [lo, hi]
    assert lo < 0.7 < hi and 0 <= lo and hi <= 1
    assert M.bootstrap_ci([0.5, 0.5]) == [0.5, 0.5]


def test_summarize_of_nothing_is_null_not_nan():
    s = M.summarize([])
    assert s == {"value": None, "n": 0, "ci95": None}
    json.dumps(s, allow_nan=False)  # raises on NaN


@pytest.mark.slow
@pytest.mark.parametrize("qid", ["q001", "q003", "q005", "q025", "q038"])
def test_real_extractive_answers_are_faithful_and_validly_cited(qa, qid):
    from conftest import EVAL_DIR

    from bot.evaluation.dataset import load_dataset

    examples, _ = load_dataset(EVAL_DIR / "article.jsonl")
    ex = next(e for e in examples if e.id == qid)
    answer = qa.ask(ex.user_input, list(ex.history)).to_dict()
    assert not answer["abstained"]
    scores = M.grounding_scores(answer["response"], answer["citations"], qa.index().chunks.keys())
    assert scores == {"faithfulness": 1.0, "citation_validity": 1.0, "citation_precision": 1.0, "citation_recall": 1.0}


def _example(**fields):
    from bot.evaluation.dataset import parse_example

    return parse_example(
        {
            "id": "x",
            "user_input": "Where is Zelenskyy meeting Trump?",
            "reference": "At the White House",
            "answerable": True,
        }
        | fields,
        1,
    )


def test_alt_reference_spans_stand_in_for_a_single_gold_passage_only():
    with pytest.raises(ValueError, match='give exactly one "reference_spans" pair'):
        _example(reference_spans=[[0, 5], [6, 9]], alt_reference_spans=[[10, 20]])
    with pytest.raises(ValueError, match='"alt_reference_spans" must be a list of'):
        _example(reference_spans=[[0, 5]], alt_reference_spans=[10, 20])


def test_a_fact_the_article_states_twice_is_found_in_either_passage(qa):
    """Gold ¶4 with ¶7 as its alternative: retrieving or citing either one counts, and the
    pair is one gold passage, so recall is whole when one of them is retrieved."""
    from bot.evaluation.scoring import gold_for, score

    index = qa.index()
    text = next(iter(index.articles.values())).text
    span = lambda s: [text.index(s), text.index(s) + len(s)]  # noqa: E731
    ex = _example(
        reference_spans=[span("prepares to meet with Trump at the White House")],
        alt_reference_spans=[span("is set to meet with Trump at the White House")],
    )
    gold, why = gold_for(ex, index)
    assert why is None and len(gold) == 1
    assert sorted(index.chunks[c].paragraph for c in gold[0]) == [4, 7]
    p7 = next(c for c in gold[0] if index.chunks[c].paragraph == 7)
    answer = {
        "abstained": False,
        "retrieved_context_ids": [p7],
        "citations": [{"marker": 1, "chunk_id": p7, "text": index.chunks[p7].text}],
        "response": "Zelenskyy is set to meet with Trump at the White House. [1]",
    }
    scores, _ = score(answer, ex, index)
    assert scores["hit@1"] == scores["recall@1"] == scores["citation_gold_hit"] == 1.0
    alone, _ = score(answer, _example(reference_spans=ex.reference_spans), index)
    assert alone["hit@1"] == alone["citation_gold_hit"] == 0.0


def test_a_repeat_of_the_gold_article_answers_as_rightly_as_the_gold_article():
    """An archive holds repeats (the BBC corpus does): citing the repeat's passage is a hit
    of the article and of the gold passage alike, so the answer is right."""
    from types import SimpleNamespace as N

    from bot.evaluation.scoring import score

    text = "Title\n\nThe summit will be held in Budapest. It was announced on Thursday."
    articles = {aid: N(id=aid, text=text, content_hash="h") for aid in ("gold", "repeat")}
    articles["other"] = N(id="other", text="Other\n\nThe summit will be held in Budapest.", content_hash="o")
    chunks = {
        f"{aid}-p": N(id=f"{aid}-p", article_id=aid, start=7, end=len(a.text), text=a.text[7:])
        for aid, a in articles.items()
    }
    index = N(articles=articles, chunks=chunks)
    start = text.index("Budapest")
    ex = _example(article_id="gold", reference="Budapest", reference_spans=[[start, start + 8]])

    def asked(aid):
        cited = [{"marker": 1, "chunk_id": f"{aid}-p", "article_id": aid, "text": chunks[f"{aid}-p"].text}]
        answer = {"abstained": False, "retrieved_context_ids": [f"{aid}-p"], "citations": cited}
        return score(answer | {"response": "Budapest [1]", "short_answer": "Budapest"}, ex, index, archive=True)[0]

    for aid in ("gold", "repeat"):
        got = asked(aid)
        assert got["article_hit@1"] == got["citation_gold_hit"] == got["answerable_right"] == 1.0
    other = asked("other")
    assert other["article_hit@1"] == other["citation_gold_hit"] == other["answerable_right"] == 0.0
    # retrieval is scored on the article's own passages: the repeat does not double its ideal
    assert asked("gold")["ndcg@3"] == asked("gold")["hit@1"] == 1.0 and asked("repeat")["hit@1"] == 0.0
