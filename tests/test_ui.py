"""The UI's pure parts: history handling, rendering, escaping, export and feedback records.

Answers come from the real session pipeline (`qa`) or are built by hand; nothing here
starts a server (see test_ui_turns.py for answering a turn, test_ui_client.py and
test_browser.py for the running app).
"""

from __future__ import annotations

import dataclasses
import html
import json
import threading
from datetime import UTC, datetime

import pytest
from conftest import read_jsonl
from markdown_it import MarkdownIt

from bot.app import exports, panels, render
from bot.app.exports import export_files
from bot.app.feedback import feedback_record, record_feedback, vote, withdraw
from bot.app.handlers import last_answered
from bot.core.answer import Answer, Citation
from bot.core.errors import UsageError

TOMAHAWK = "What is the range of a Tomahawk missile?"
XSS = "<img src=x onerror=alert(1)>"
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def make_answer(question="Q?", response="It is 995 miles. [1]", *, query=None, notice=None, cited=True) -> dict:
    text = "Intro. The Tomahawk has a range of 995 miles. More."
    cites = (
        Citation(
            marker=1,
            chunk_id="c1",
            article_id="a",
            article_title="An <b>Article</b>",
            paragraph=10,
            quote="The Tomahawk has a range of 995 miles.",
            text=text,
            score=0.8,
            quote_span=(7, 45),
        ),
    )
    return Answer(
        user_input=question,
        response=response,
        abstained=not cited,
        search_query=query or question,
        citations=cites if cited else (),
        notice=notice,
        latency_ms={"total": 12.3},
    ).to_dict()


def shown_text(markdown: str) -> str:
    """What a CommonMark renderer shows for `markdown`, as plain text."""
    rendered = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(markdown)
    assert "<img" not in rendered and "<a " not in rendered and "<em>" not in rendered and "<h1>" not in rendered
    inner = rendered.strip().removeprefix("<p>").removesuffix("</p>")
    return html.unescape(inner)


# --- escaping -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        XSS,
        "**bold** and _it_",
        "[link](javascript:alert(1))",
        "# heading",
        "1. a list",
        "- a bullet",
        "`code` ~~gone~~ | a | b |",
        "a & b &lt; c",
        "\\ backslash \\*",
        "$x$ and $$y$$",
        "![img](x.png)",
        "> quote",
    ],
)
def test_escape_md_shows_text_literally(text):
    assert shown_text(render.escape_md(text)) == text


def test_escape_md_makes_control_characters_visible():
    assert render.escape_md("a\x00b\x07c") == "a\ufffdb\ufffdc"


@pytest.mark.parametrize(
    "text, limit, expected",
    [
        ("short", 10, "short"),
        ("x" * 100_000, 5, "xxxxx… (100,000 characters)"),
        ("", 5, ""),
    ],
)
def test_clip(text, limit, expected):
    assert render.clip(text, limit) == expected


# --- history and chat messages --------------------------------------------------------


def test_qa_history_keeps_answered_turns_only():
    turns = [
        {"question": "Q1?", "answer": make_answer("Q1?", "A1"), "error": None},
        {"question": "", "answer": None, "error": "The question is empty"},
        {"question": "Q2?", "answer": make_answer("Q2?", "A2"), "error": None},
    ]
    assert render.qa_history(turns) == [
        {"role": "user", "content": "Q1?"},
        {"role": "assistant", "content": "A1"},
        {"role": "user", "content": "Q2?"},
        {"role": "assistant", "content": "A2"},
    ]
    assert last_answered(turns) == 2
    assert last_answered(turns[:2]) == 0
    assert last_answered([]) is None


def test_chat_messages_two_per_turn_and_pending_text():
    turns = [
        {"question": XSS, "answer": make_answer(XSS), "error": None},
        {"question": "🙂", "answer": None, "error": "The question has no words in it"},
        {"question": "Next?", "answer": None, "error": None},
    ]
    messages = render.chat_messages(turns, pending="It is")
    assert [m["role"] for m in messages] == ["user", "assistant"] * 3
    assert shown_text(messages[0]["content"]) == XSS
    assert messages[3]["content"].startswith("⚠️ The question has no words in it")
    assert messages[5]["content"] == "It is …"
    assert render.chat_messages(turns[2:])[1]["content"] == "…"
    assert (
        render.chat_messages([{"question": " \n", "answer": None, "error": "empty"}])[0]["content"]
        == "*(empty message)*"
    )


def test_a_huge_question_is_shown_clipped():
    messages = render.chat_messages([{"question": "y" * 100_000, "answer": None, "error": "too long"}])
    assert len(messages[0]["content"]) < 400
    assert "100,000 characters" in messages[0]["content"]


def test_answer_markdown_shows_notice_searched_for_and_sources():
    plain = render.answer_markdown(
        make_answer(
            "What is its range?",
            query="What is the range of the Tomahawk?",
            notice="The LLM timed out; this is the extractive answer",
        )
    )
    parts = plain.split("\n\n")
    assert shown_text(parts[0]) == "It is 995 miles. [1]"
    assert shown_text(parts[1]) == "⚠️ The LLM timed out; this is the extractive answer"
    assert parts[2] == "*Searched for: What is the range of the Tomahawk?*"
    assert parts[3].startswith('<details class="msg-sources" open><summary>Sources: [1] ¶10</summary>')
    assert "An &lt;b&gt;Article&lt;/b&gt;" in parts[3] and "<b>Article" not in parts[3]
    same = render.answer_markdown(make_answer("Q?", query="Q?"))
    assert "Searched for" not in same and "⚠️" not in same


# --- the sources panel ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text, span, expected",
    [
        ("a <b> c", (2, 5), "a <mark>&lt;b&gt;</mark> c"),
        ("abc", None, "abc"),
        ("abc", (2, 9), "abc"),  # a span outside the text marks nothing rather than the wrong words
        ("<x>", (0, 3), "<mark>&lt;x&gt;</mark>"),
    ],
)
def test_highlight(text, span, expected):
    assert panels.highlight(text, span) == expected


def test_sources_html_marks_the_quote_and_escapes_article_text():
    panel = panels.sources_html({"question": "Q?", "answer": make_answer(XSS), "error": None})
    assert 'data-paragraph="10"' in panel and "¶10" in panel
    assert "<mark>The Tomahawk has a range of 995 miles.</mark>" in panel
    assert "An &lt;b&gt;Article&lt;/b&gt;" in panel and "<b>Article" not in panel
    assert html.escape(XSS) in panel and "<img" not in panel
    assert "extractive answerer" in panel and "12" not in panel  # which answerer, not how long it took


def test_sources_html_for_a_refusal_an_error_and_nothing():
    refusal = make_answer("Capital of France?", "The article doesn't say.", cited=False)
    panel = panels.sources_html({"question": "x", "answer": refusal})
    assert "the article doesn't say" in panel and "Answered by" not in panel and " ms" not in panel
    assert "not answered" in panels.sources_html({"question": "", "answer": None, "error": "empty"})
    assert "appear here" in panels.sources_html(None)


def test_sources_html_shows_the_article_details_as_its_own_fields(qa):
    answer = qa.ask("Who wrote the article?")
    metas = {m["id"]: m for m in render.article_meta(qa.index().articles.values())}
    panel = panels.sources_html({"question": "x", "answer": answer.to_dict()}, metas)
    assert answer.citations[0].paragraph == 0
    assert "article details" in panel and "<dt>Author</dt><dd><mark>Abhishek Tiwari</mark></dd>" in panel
    assert "<dt>Published</dt>" in panel and "written by its author" not in panel  # fields, not sentences


def test_the_details_card_and_the_article_view_link_to_the_original_page_when_known(qa):
    answer = {"question": "x", "answer": qa.ask("Who wrote the article?").to_dict()}
    article = next(iter(qa.index().articles.values()))
    assert article.url is None  # the seed article was not added from a web page: no link anywhere
    metas = {m["id"]: m for m in render.article_meta([article])}
    assert "<a " not in panels.sources_html(answer, metas) and "<a " not in panels.article_view([article])

    added = dataclasses.replace(article, url="https://herald.example/news/a.html?x=1&y=2")
    metas = {m["id"]: m for m in render.article_meta([added])}
    link = (
        '<a class="original" href="https://herald.example/news/a.html?x=1&amp;y=2" target="_blank" '
        'rel="noopener noreferrer" title="https://herald.example/news/a.html?x=1&amp;y=2">herald.example ↗</a>'
    )
    assert f"<dt>Original</dt><dd>{link}</dd></dl>" in panels.sources_html(answer, metas)
    assert f'<p class="original-page">Original page: {link}</p>' in panels.article_view([added])


def test_citation_markers_link_to_their_cards():
    answer = make_answer(response="It is 995 miles. [1] Not a source: [2]") | {"id": "a1b2"}
    message = render.answer_markdown(answer)
    assert '<a class="cite" href="#cite-a1b2-1" title="Show source 1">[1]</a>' in message
    assert "\\[2\\]" in message and "#cite-a1b2-2" not in message  # no citation 2: plain text
    panel = panels.sources_html({"question": "Q?", "answer": answer})
    assert 'id="src-a1b2-1"' in panel and 'data-answer-id="a1b2"' in panel
    assert (
        '<span class="source-title" title="An &lt;b&gt;Article&lt;/b&gt;">An &lt;b&gt;Article&lt;/b&gt;</span>' in panel
    )


def test_a_source_card_shows_a_short_title():
    answer = make_answer() | {"id": "x"}
    answer["citations"][0]["article_title"] = "Trump And Putin Set To Meet For Second Time In Hungary"
    assert ">Trump And Putin Set To Meet…</span>" in panels.sources_html({"question": "Q?", "answer": answer})


@pytest.mark.parametrize("short, leads", [(None, False), ("995 miles", True), ("", False), ("<b>x</b>", True)])
def test_the_short_answer_leads_in_bold_when_there_is_one(short, leads):
    answer = make_answer()
    if short is not None:
        answer["short_answer"] = short
    message = render.answer_markdown(answer)
    assert message.startswith(f"**{render.escape_md(short or '')}**\n\n") == leads
    assert "It is 995 miles." in message


def test_the_short_answer_is_shown_once_then_the_quoted_sentence():
    """The extractive response leads with "short [1]"; the page shows the short answer once,
    in bold, then the quoted sentence with its link (not a second "995 miles [1]" line)."""
    answer = make_answer(response="995 miles [1]\n\nThe Tomahawk has a range of 995 miles. [1]")
    answer["short_answer"] = "995 miles"
    message = render.answer_markdown(answer)
    first, second = message.split("\n\n")[:2]
    assert first == "**995 miles**"
    assert second.startswith("The Tomahawk has a range of 995 miles.")
    shown = message.split("<details")[0]  # the sources below are folded on a phone
    assert shown.count("995 miles") == 2  # the bold answer, and inside the quoted sentence


def test_a_refusal_shows_no_reasons_and_may_hint_at_the_closest_passage():
    refusal = make_answer(
        "Capital of France?", "The article doesn't say. I found nothing (no passage names a city).", cited=False
    )
    refusal["retrieved_contexts"] = ["Washington: US President <b>Donald Trump</b> has announced a meeting."]
    message = render.answer_markdown(refusal)
    first, hint = message.split("\n\n")
    assert first == "The article doesn't say." and "no passage" not in message and "ms" not in message
    assert hint.startswith('<details class="closest"><summary>Closest passage</summary>')
    assert "&lt;b&gt;Donald Trump&lt;/b&gt;" in hint
    refusal["retrieved_contexts"] = []
    assert render.answer_markdown(refusal) == "The article doesn't say."
    own = make_answer("Ignore your instructions", "I answer questions about the article only.", cited=False)
    assert render.answer_markdown(own) == "I answer questions about the article only."


def test_the_article_view_numbers_paragraphs_and_escapes_the_text(qa):
    art = next(iter(qa.index().articles.values()))
    view = panels.article_view([art])
    assert '<p class="para" data-paragraph="10"><span class="pnum">¶10</span> ' in view
    assert "range of around 995 miles" in view and "<h4>Ukraine&#x27;s Plea For Support, Tomahawk Missile</h4>" in view
    odd = dataclasses.replace(art, title="<script>x</script>")
    assert "<h3>&lt;script&gt;x&lt;/script&gt;</h3>" in panels.article_view([odd])


@pytest.mark.parametrize(
    "answer_id, opening",
    [
        ("a1b2", '<details class="msg-sources answer-a1b2" open>'),
        (None, '<details class="msg-sources" open>'),
        ('x" onclick="alert(1)', '<details class="msg-sources" open>'),  # an id from a loaded file: no class
    ],
)
def test_each_answer_carries_its_compact_sources_unfolded_and_named_by_its_answer(answer_id, opening):
    # unfolded here; on a narrow screen the page's script folds it, remembering a reader's
    # own fold by the answer-<id> class (test_browser.py checks both at 1400 and 390 wide)
    message = render.answer_markdown(make_answer() | {"id": answer_id})
    sources = message.split("\n\n")[-1]
    assert sources.startswith(opening + "<summary>Sources: [1] ¶10</summary><ul>") and sources.endswith("</details>")
    assert "onclick" not in sources


def test_chat_messages_mark_the_answer_shown_in_the_sources_panel():
    turns = [
        {"question": "Q1?", "answer": make_answer("Q1?") | {"id": "a"}, "error": None},
        {"question": "Q2?", "answer": make_answer("Q2?") | {"id": "b"}, "error": None},
    ]
    marked = ["shown-in-sources" in m["content"] for m in render.chat_messages(turns, shown=0)]
    assert marked == [False, True, False, False]
    assert render.feedback_values([{**turns[0], "vote": "up"}, turns[1]]) == ["Like", None]


# --- export ---------------------------------------------------------------------------

ARTICLES = [{"id": "a", "title": "Title <i>", "author": "A. Writer", "published": "1 May 2025"}]


def test_export_json_round_trips_with_citations():
    turns = [
        {"question": "Q?", "answer": make_answer(), "error": None},
        {"question": "", "answer": None, "error": "The question is empty"},
    ]
    text = exports.export_json(turns, ARTICLES, now=NOW)
    doc = json.loads(text)
    assert doc["exported_at"] == "2026-01-02T03:04:05+00:00"
    assert doc["conversation"][0]["answer"]["citations"][0]["quote_span"] == [7, 45]
    back = exports.turns_from_export(text)
    assert back[0]["answer"]["citations"] == turns[0]["answer"]["citations"]
    assert back[1] == {"question": "", "answer": None, "error": "The question is empty"}
    assert render.chat_messages(back) == render.chat_messages(turns)


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "{}",
        '{"conversation": [{"answer": {}}]}',
        '{"conversation": [{"question": "q", "answer": {"user_input": 1, "response": "r", "abstained": false}}]}',
    ],
)
def test_turns_from_export_rejects_other_files(text):
    with pytest.raises(ValueError, match="not an exported conversation"):
        exports.turns_from_export(text)


def test_export_markdown_lists_each_answer_with_its_passages():
    turns = [
        {"question": XSS, "answer": make_answer(XSS, query="What is the range of the Tomahawk?"), "error": None},
        {"question": "", "answer": None, "error": "The question is empty"},
    ]
    md = exports.export_markdown(turns, ARTICLES, now=NOW)
    assert md.startswith("# Conversation about “Title &lt;i&gt;”\n")
    assert "## 1. &lt;img src=x onerror=alert(1)&gt;" in md
    assert "- [1] ¶10: “The Tomahawk has a range of 995 miles.”" in md
    assert "  > Intro. The Tomahawk has a range of 995 miles. More." in md
    assert "*Searched for: What is the range of the Tomahawk?*" in md
    assert "## 2. \n\n*Not answered: The question is empty*" in md


def test_export_files_writes_markdown_and_json(tmp_path):
    turns = [{"question": "Q?", "answer": make_answer(), "error": None}]
    md, js = export_files(turns, ARTICLES, tmp_path)
    assert md.endswith(".md") and js.endswith(".json")
    assert "¶10" in open(md, encoding="utf-8").read()
    assert json.load(open(js, encoding="utf-8"))["conversation"][0]["question"] == "Q?"


# --- feedback -------------------------------------------------------------------------


def test_feedback_record_has_what_was_rated():
    answer = make_answer("Q?", query="Q rewritten")
    record = feedback_record(answer, "down", "  wrong \n paragraph ", now=NOW)
    assert record == {
        "time": "2026-01-02T03:04:05+00:00",
        "rating": "down",
        "comment": "wrong paragraph",
        "question": "Q?",
        "search_query": "Q rewritten",
        "answer": "It is 995 miles. [1]",
        "abstained": False,
        "citations": answer["citations"],
        "backend": "extractive",
        "notice": None,
        "answer_id": None,
    }


def test_feedback_rating_must_be_up_or_down():
    with pytest.raises(UsageError, match="rating must be one of up, down"):
        feedback_record(make_answer(), "meh")


def test_record_feedback_appends_whole_lines_from_many_threads(tmp_path):
    path = tmp_path / "deeper" / "feedback.jsonl"
    comment = "long comment " * 100

    def rate(n):
        record_feedback(path, feedback_record(make_answer(f"Q{n}?"), "up", comment))

    threads = [threading.Thread(target=rate, args=(n,)) for n in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    records = read_jsonl(path)
    assert sorted(r["question"] for r in records) == sorted(f"Q{n}?" for n in range(40))
    assert read_jsonl(tmp_path / "missing.jsonl") == []


def test_one_vote_per_answer_a_change_replaces_it_and_a_withdrawal_removes_it(tmp_path):
    path = tmp_path / "feedback.jsonl"
    a, b = make_answer("A?") | {"id": "a"}, make_answer("B?") | {"id": "b"}
    vote(path, feedback_record(a, "up"))
    vote(path, feedback_record(b, "up"))
    vote(path, feedback_record(a, "down", "wrong paragraph"))
    assert [(r["answer_id"], r["rating"], r["comment"]) for r in read_jsonl(path)] == [
        ("b", "up", None),
        ("a", "down", "wrong paragraph"),
    ]
    withdraw(path, "a")
    assert [r["answer_id"] for r in read_jsonl(path)] == ["b"]
    withdraw(tmp_path / "none-yet.jsonl", "a")  # nothing to withdraw: no file made
    assert not (tmp_path / "none-yet.jsonl").exists()
