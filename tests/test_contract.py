"""The one result type: `Answer.to_dict()` is the JSON contract in docs/guide.md (The Answer, for programs) (the design's, plus `confidence`)."""

from __future__ import annotations

import json

import pytest
from conftest import markers_in

import bot
from bot.core.answer import Answer, Citation
from bot.core.errors import QuestionError

# The keys the design names (`short_answer` among them), plus `confidence` (the score the
# abstention threshold is applied to).
ANSWER_KEYS = {
    "id",
    "user_input",
    "search_query",
    "response",
    "short_answer",
    "abstained",
    "citations",
    "retrieved_contexts",
    "retrieved_context_ids",
    "retrieval_scores",
    "backend",
    "notice",
    "latency_ms",
    "confidence",
}
# The design's citation keys, plus `quote_span` (where the quote sits in `text`, for highlighting)
# and `published` (the date of the cited article, which several articles make necessary).
CITATION_KEYS = {
    "marker",
    "chunk_id",
    "article_id",
    "article_title",
    "paragraph",
    "quote",
    "text",
    "score",
    "quote_span",
    "published",
    "url",
}

RANGE = "What is the range of a Tomahawk missile?"
# Off-topic questions, a name the article never uses, and a detail it does not give.
UNANSWERABLE = [
    "What is the capital of France?",
    "What did Macron say about the summit?",
    pytest.param(
        "How much does a Tomahawk missile cost?",
        marks=pytest.mark.xfail(
            strict=True,
            reason="known: the refusal lets the range sentence through (P 0.24 against a threshold of 0.22), "
            "though no short answer of money is offered (docs/method.md#what-limits-it)",
        ),
    ),
]


@pytest.fixture(scope="module")
def cited(qa):
    return qa.ask(RANGE, id="q1")


@pytest.fixture(scope="module")
def refused(qa):
    return qa.ask("What is the boiling point of water?", id="q2")  # one the reader refuses


def check_types(d: dict) -> None:
    assert set(d) == ANSWER_KEYS
    for key in ("user_input", "search_query", "response", "backend"):
        assert isinstance(d[key], str) and d[key]
    assert isinstance(d["abstained"], bool)
    assert d["notice"] is None or isinstance(d["notice"], str)
    assert isinstance(d["confidence"], float)
    assert isinstance(d["citations"], list)
    for c in d["citations"]:
        assert set(c) == CITATION_KEYS
        assert isinstance(c["marker"], int) and isinstance(c["paragraph"], int)
        assert all(isinstance(c[k], str) and c[k] for k in ("chunk_id", "article_id", "article_title", "quote", "text"))
        assert isinstance(c["score"], float)
        assert isinstance(c["quote_span"], list) and len(c["quote_span"]) == 2
    n = len(d["retrieved_contexts"])
    assert n == len(d["retrieved_context_ids"]) == len(d["retrieval_scores"]) > 0
    assert all(isinstance(x, str) for x in d["retrieved_contexts"] + d["retrieved_context_ids"])
    assert all(isinstance(x, float) and 0 < x <= 1 for x in d["retrieval_scores"])
    stages = set(d["latency_ms"])  # the question's own stages, the reader's among them (read_*)
    assert {"retrieve", "answer", "total"} <= stages
    assert all(k.startswith("read_") for k in stages - {"retrieve", "answer", "total"})
    assert all(isinstance(v, float) and v >= 0 for v in d["latency_ms"].values())
    assert d["latency_ms"]["total"] >= d["latency_ms"]["retrieve"]


@pytest.mark.parametrize("which", ["cited", "refused"])
def test_to_dict_is_the_contract(request, which):
    answer = request.getfixturevalue(which)
    d = answer.to_dict()
    check_types(d)
    assert d["id"] == {"cited": "q1", "refused": "q2"}[which]
    assert d["backend"] == "extractive"
    assert d["notice"] is None
    assert json.loads(json.dumps(d)) == d  # JSON-serialisable as it is
    json.dumps(d, ensure_ascii=False, allow_nan=False)


@pytest.mark.parametrize("which", ["cited", "refused"])
def test_from_dict_round_trip(request, which):
    d = request.getfixturevalue(which).to_dict()
    back = Answer.from_dict(json.loads(json.dumps(d)))
    assert back.to_dict() == d
    assert all(isinstance(c, Citation) for c in back.citations)


def test_from_dict_accepts_a_minimal_record():
    a = Answer.from_dict({"user_input": "q?", "response": "The article doesn't say.", "abstained": True})
    assert (a.id, a.citations, a.backend, a.notice, a.confidence) == (None, (), "extractive", None, None)
    assert a.to_dict()["citations"] == [] and a.to_dict()["latency_ms"] == {}


def test_the_question_and_ids(cited, qa):
    assert cited.id == "q1"
    assert cited.user_input == RANGE
    assert cited.search_query == RANGE  # no history: searched as asked
    index = qa.index()
    assert list(cited.retrieved_contexts) == [index.chunks[i].text for i in cited.retrieved_context_ids]


def test_a_cited_answer(cited, qa):
    assert not cited.abstained
    assert cited.citations
    index = qa.index()
    for c in cited.citations:
        chunk = index.chunks[c.chunk_id]
        assert c.text == chunk.text  # the whole passage
        assert c.quote in c.text  # verbatim
        start, end = c.quote_span
        assert c.text[start:end] == c.quote
        assert f"[{c.marker}]" in cited.response
        assert c.paragraph == chunk.paragraph and c.article_id == chunk.article_id
        assert c.article_title == index.articles[c.article_id].title
        assert c.chunk_id in cited.retrieved_context_ids
    assert (
        sorted(set(markers_in(cited.response)))
        == [c.marker for c in cited.citations]
        == list(range(1, len(cited.citations) + 1))
    )
    assert cited.citations[0].paragraph == 10
    assert "995 miles" in cited.citations[0].quote and "995 miles" in cited.response
    assert len(cited.response.split()) <= 70


def test_the_range_leads_with_its_short_answer(cited):
    assert cited.short_answer == "around 995 miles"
    assert cited.response.startswith("around 995 miles [1]")


@pytest.mark.xfail(
    strict=True,
    reason="known: the ranker prefers the sentence on their earlier meeting in Alaska to the Budapest one "
    "(docs/method.md#what-limits-it)",
)
def test_where_trump_and_putin_will_meet_is_budapest(qa):
    assert qa.ask("Where will Trump and Putin meet?").short_answer == "Budapest"


@pytest.mark.parametrize("question", UNANSWERABLE)
def test_an_abstention(qa, question):
    answer = qa.ask(question)
    assert answer.abstained is True
    assert answer.citations == ()
    assert answer.response.startswith("The article doesn't say.")
    assert markers_in(answer.response) == []
    d = answer.to_dict()
    assert d["abstained"] is True and d["citations"] == []


@pytest.mark.parametrize(
    "question, fact",
    [("Who wrote this?", "Abhishek Tiwari"), ("When was the article published?", "17 October 2025 at 05:22 IST")],
)
def test_metadata_questions_are_answered_from_paragraph_zero(qa, question, fact):
    answer = qa.ask(question)
    assert not answer.abstained
    (citation,) = answer.citations
    assert citation.paragraph == 0
    assert citation.label == "article details"
    assert fact in citation.quote and fact in answer.response
    assert answer.to_dict()["citations"][0]["paragraph"] == 0


@pytest.mark.parametrize(
    "question", ["When was it published?", "When was this story last updated?", "Where is it datelined?"]
)
def test_a_metadata_answer_quotes_only_the_fact_asked_for(qa, question):
    # "It was published on …" speaks of the article: it needs no sentence before it.
    answer = qa.ask(question)
    (citation,) = answer.citations
    assert citation.paragraph == 0
    assert citation.quote.startswith("It ") and ". " not in citation.quote  # one sentence


def test_a_follow_up_reports_the_query_it_searched(qa):
    history = [
        {"role": "user", "content": "What is a Tomahawk missile?"},
        {"role": "assistant", "content": "Tomahawk missiles are long-range weapons. [1]"},
    ]
    answer = qa.ask("What is its range?", history)
    assert answer.user_input == "What is its range?"
    assert answer.search_query == "What is Tomahawk's range?"
    assert not answer.abstained and answer.citations[0].paragraph == 10


@pytest.mark.parametrize(
    "history, message",
    [
        ("not a list", 'history must be a list of {"role": "user"|"assistant", "content": "..."} turns'),
        (
            [{"role": "system", "content": "x"}],
            'history turn 1 must be {"role": "user"|"assistant", "content": "..."} - fix or drop that turn',
        ),
        (
            [{"role": "user", "content": "ok"}, {"role": "assistant"}],
            'history turn 2 must be {"role": "user"|"assistant", "content": "..."} - fix or drop that turn',
        ),
        (
            [["user", "hi"]],
            'history turn 1 must be {"role": "user"|"assistant", "content": "..."} - fix or drop that turn',
        ),
    ],
)
def test_bad_history(qa, history, message):
    with pytest.raises(QuestionError) as e:
        qa.ask(RANGE, history)
    assert str(e.value) == message


def test_bad_questions_are_refused_before_any_search(qa):
    with pytest.raises(QuestionError, match="^The question is empty - type a question about the article$"):
        qa.ask("   ")


def test_bot_ask_is_the_public_entry(qa, monkeypatch):
    monkeypatch.setattr("bot.answering.pipeline._default", qa)  # the session pipeline, not a second model load
    answer = bot.ask(RANGE)
    assert isinstance(answer, bot.Answer)
    assert answer.citations[0].paragraph == 10


def test_citation_label():
    base = dict(chunk_id="c", article_id="a", article_title="T", quote="q", text="q", score=0.5)
    assert Citation(marker=1, paragraph=0, **base).label == "article details"
    assert Citation(marker=1, paragraph=7, **base).label == "¶7"
