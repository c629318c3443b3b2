"""Answering over several articles with none pinned ("All articles"): the reader reads the
best-retrieved articles, answers from the one that answers, names it, and asks which
article a question about "the article" means."""

from __future__ import annotations

import json
import shutil

import pytest

from bot.answering.extractive import SURE, Extract, Scored, choose
from bot.reading.model import WEIGHTS
from tests.conftest import SEED_ARTICLES, SHARED_EVAL, qa_over

LSE = SHARED_EVAL / "articles" / "bbc-business-279.txt"  # Deutsche Boerse and the LSE
# An article that repeats the question's words without answering it: the search ranks it
# first, the reader must read on to the article that names the chief executive.
DECOY = """London Stock Exchange chief executive job draws attention

The London Stock Exchange chief executive role is the subject of much City talk this week.

Observers of the London Stock Exchange say the chief executive of the exchange faces a busy year.

Nobody at the London Stock Exchange would comment on the chief executive's diary.
"""

pytestmark = [
    pytest.mark.shared,
    pytest.mark.skipif(not LSE.is_file(), reason=f"{LSE} is missing - put ../shared beside the repository"),
]


@pytest.fixture(scope="module")
def archive(tmp_path_factory, embedder):
    folder = tmp_path_factory.mktemp("archive")
    shutil.copytree(SEED_ARTICLES, folder / "articles")
    shutil.copy(LSE, folder / "articles" / LSE.name)
    (folder / "articles" / "decoy.txt").write_text(DECOY, encoding="utf-8")
    qa = qa_over(folder, embedder)
    qa.index(progress=False)
    return qa


def test_an_answer_in_the_second_ranked_article_is_found_and_cited(archive):
    answer = archive.ask("Who is the chief executive of the London Stock Exchange?")
    index = archive.index()
    first = index.chunks[answer.retrieved_context_ids[0]].article_id
    assert first == "decoy"  # the search ranks the decoy's passage first
    assert not answer.abstained
    assert answer.citations[0].article_id == "bbc-business-279"
    assert answer.short_answer == "Clara Furse"
    assert answer.response.endswith(f"(From “{index.articles['bbc-business-279'].title}”.)")  # it names its article


def test_a_pinned_article_is_read_alone(archive):
    answer = archive.ask("Who is the chief executive of the London Stock Exchange?", article_id="decoy")
    assert answer.abstained and answer.citations == ()


def test_a_question_about_the_article_asks_which_one(archive):
    answer = archive.ask("Who wrote the article?")
    assert answer.abstained and answer.citations == ()
    assert answer.response.startswith("Several articles are loaded: which one do you mean?")
    assert "“" in answer.response  # it names the candidates
    pinned = archive.ask("Who wrote the article?", article_id="bbc-business-279")
    assert not pinned.response.startswith("Several articles")
    story = archive.ask("What is this story about?")
    assert story.abstained and story.response.startswith("Several articles are loaded")


def test_a_question_that_names_the_article_but_asks_what_it_reports_is_answered(archive):
    answer = archive.ask("Who is the chief executive of the London Stock Exchange named in the article?")
    assert not answer.abstained and answer.short_answer == "Clara Furse"
    assert answer.citations[0].article_id == "bbc-business-279"
    assert answer.response.endswith(f"(From “{archive.index().articles['bbc-business-279'].title}”.)")


def _read(p: float, answers: bool = True, chunk: str = "c") -> Extract:
    """What reading one article gave: an answer from passage `chunk` with P(answerable) = p,
    or a refusal."""
    if not answers:
        return Extract((), p, "the article does not say")
    return Extract((Scored(chunk, 0, 10, p),), p, None, "x")


def test_an_answer_from_a_later_article_must_clear_a_higher_bar():
    threshold = json.loads(WEIGHTS.read_text())["threshold"]  # the reader's own refusal threshold
    assert threshold < SURE
    weak = (threshold + SURE) / 2
    first = choose([_read(weak)])
    assert not first.abstained and first.named  # the first article's answer stands on the reader's threshold
    later = choose([_read(0.1, answers=False), _read(weak)])
    assert later.abstained and later.sentences == () and not later.named
    likelier_later = choose([_read(weak - 0.05, chunk="first"), _read(weak, chunk="later")])
    assert likelier_later.abstained  # the likeliest is read later and unsure: refused, not the first's answer
    sure = choose([_read(0.1, answers=False), _read(SURE, chunk="later")])  # at the bar exactly
    assert not sure.abstained and sure.named and sure.sentences[0].chunk_id == "later"
    tie = choose([_read(0.3, chunk="first"), _read(0.3, chunk="later")])  # the first of equals
    assert not tie.abstained and tie.sentences[0].chunk_id == "first"


def test_an_answer_from_a_contested_first_article_must_clear_the_higher_bar_too():
    """The first article read, when an article ranking puts another first, is held to
    SURE like a later one; uncontested, to the reader's own threshold."""
    threshold = json.loads(WEIGHTS.read_text())["threshold"]
    weak = (threshold + SURE) / 2
    assert not choose([_read(weak)], contested=False).abstained
    held = choose([_read(weak)], contested=True)
    assert held.abstained and "ranking puts another article first" in held.reason
    sure = choose([_read(SURE), _read(0.1, answers=False)], contested=True)
    assert not sure.abstained and sure.named


def test_select_contests_the_first_article_unless_the_conversation_or_both_article_rankings_back_it(monkeypatch):
    """Wiring of `contested` in select: the first article read ("a") answers at a P between
    the reader's threshold and SURE, the others refuse."""
    from types import SimpleNamespace as N

    import bot.answering.extractive as X

    threshold = json.loads(WEIGHTS.read_text())["threshold"]
    weak = (threshold + SURE) / 2
    monkeypatch.setattr(X, "analyse_question", lambda *a: None)
    monkeypatch.setattr(
        X, "read_article", lambda q, h, index, reader, aid, asked=None: _read(weak) if aid == "a" else _read(0.1, False)
    )
    index = N(articles={"a": N(text="x"), "a-again": N(text="x"), "b": N(text="y")})
    reader = N(model=None)

    def ask(whole_first, passages_first="a", talked_of=None, history=()):
        firsts = (passages_first, whole_first)
        return X.select("Who won?", list(history), ["a", "b"], index, reader, None, talked_of, firsts)

    assert not ask("a").abstained  # both rankings put it first
    assert not ask("a-again").abstained  # a repeat of it, first by name in a tie
    assert ask("b").abstained  # whole-article BM25 ranks another article first
    assert ask(None).abstained  # whole-article BM25 matched nothing
    assert ask("a", passages_first="b").abstained  # the passages' ranking puts another first (a large archive)
    assert not ask("a", passages_first="a-again").abstained
    follow = ask("b", talked_of="a", history=[{"role": "user", "content": "Who played?"}])
    assert not follow.abstained  # the conversation's article is read first, and not contested
