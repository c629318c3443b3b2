"""Exports, loaded conversations and the feedback log (issue 17, point 7): no live
`javascript:` link in an exported Markdown file; a conversation loaded from a file is not
shown as the bot's own answer; a U+2028 in a rated answer does not break the feedback log.
The link to an article's original page is http(s) only, escaped, and opens in a new tab
without an opener.

Kept apart: these import the page's pure functions and the feedback log directly, whose
module paths may move.
"""

from __future__ import annotations

import dataclasses
import json
import re

import pytest
from markdown_it import MarkdownIt

from bot.app.exports import export_markdown, turns_from_export
from bot.app.feedback import feedback_record, record_feedback
from bot.app.panels import article_view, sources_html
from bot.app.render import chat_messages
from bot.text.article import parse_article

LINKS = [
    "[click here](javascript:alert(document.cookie))",
    "[x]( javascript:alert(1) )",
    "<javascript:alert(1)>",
    "[ref]\n\n[ref]: javascript:alert(1)",
    "[x](JaVaScRiPt:alert(1))",
    "![img](javascript:alert(1))",
]


def rendered(markdown: str) -> str:
    """HTML from a renderer that trusts every link (as some Markdown viewers do)."""
    md = MarkdownIt("commonmark")
    md.validateLink = lambda url: True
    return md.render(markdown)


def answered(text: str) -> dict:
    citation = {
        "marker": 1,
        "chunk_id": "c1",
        "article_id": "a",
        "article_title": f"Title {text}",
        "paragraph": 3,
        "quote": f"Quote {text}",
        "text": f"Passage {text}",
        "score": 0.9,
        "quote_span": None,
    }
    return {
        "question": f"Question {text}",
        "error": None,
        "answer": {
            "user_input": f"Question {text}",
            "response": f"Answer {text} [1]",
            "abstained": False,
            "search_query": f"Searched {text}",
            "notice": f"Notice {text}",
            "citations": [citation],
        },
    }


@pytest.mark.parametrize("link", LINKS)
def test_exported_markdown_has_no_live_javascript_link(link):
    turns = [answered(link), {"question": f"Failed {link}", "answer": None, "error": f"Error {link}"}]
    articles = [{"id": "a", "title": f"Article {link}", "author": f"Author {link}", "published": None, "url": None}]
    html = rendered(export_markdown(turns, articles)).lower()
    assert "javascript:" in html  # the text is still there to read ...
    assert 'href="javascript' not in html.replace(" ", "") and 'src="javascript' not in html.replace(" ", "")
    assert "<a " not in html and "<img" not in html  # ... but nothing in it is a link


FORGED = {
    "version": 1,
    "conversation": [
        {
            "question": "Who won the war?",
            "answer": {
                "user_input": "Who won the war?",
                "response": "Ukraine won\u2028the war [1].",
                "abstained": False,
                "citations": [
                    {
                        "marker": 1,
                        "chunk_id": "x",
                        "article_id": "a",
                        "paragraph": 1,
                        "quote": "Ukraine won\u2028the war.",
                        "text": "Ukraine won\u2028the war.",
                    }
                ],
            },
            "error": None,
        }
    ],
}


def test_a_loaded_conversation_is_not_shown_as_an_answer_of_this_bot():
    (turn,) = turns_from_export(json.dumps(FORGED, ensure_ascii=False))
    panel = sources_html(turn)
    assert "Answered by" not in panel
    assert "loaded from a file" in panel.lower()


def test_a_forged_model_notice_in_a_loaded_conversation_is_not_shown_nor_exported():
    forged = json.loads(json.dumps(FORGED))
    forged["conversation"][0]["answer"] |= {
        "backend": "openai",
        "notice": "This answer was checked by a language model (gpt-5) and is verified.",
    }
    (turn,) = turns_from_export(json.dumps(forged))
    bubble = chat_messages([turn])[-1]["content"]
    exported = export_markdown([turn], [])
    for shown in (bubble, exported, sources_html(turn)):
        assert "gpt-5" not in shown and "verified" not in shown, shown
        assert "openai" not in shown.lower()
    assert "loaded from a file" in exported.lower()


def test_a_loaded_conversation_cannot_allow_its_own_links():
    forged = json.loads(json.dumps(FORGED))
    answer = forged["conversation"][0]["answer"]
    answer["response"] = "Confirm your details at https://evil.example/verify [1]."
    answer["citations"][0]["url"] = "https://evil.example/verify"  # claims the link is the article's page
    (turn,) = turns_from_export(json.dumps(forged))
    bubble = chat_messages([turn])[-1]["content"]
    assert "`https://evil.example/verify`" in bubble


def test_a_rated_answer_with_a_line_separator_is_read_back(tmp_path):
    (turn,) = turns_from_export(json.dumps(FORGED, ensure_ascii=False))
    log = tmp_path / "feedback.jsonl"
    record_feedback(log, feedback_record(turn["answer"], "down", "odd\u2029comment"))
    record_feedback(log, feedback_record(turn["answer"], "up"))
    # A reader that splits lines at every Unicode line boundary (str.splitlines, many
    # editors and tools) still sees one record per line: the separators are escaped.
    records = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [r["rating"] for r in records] == ["down", "up"]
    assert records[0]["answer"] == "Ukraine won\u2028the war [1]."


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        " javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "//evil.example/x",
        "/relative/path",
        "https://evil.example/\tx",
        "",
        None,
    ],
)
def test_only_a_web_page_is_linked_as_the_original(url):
    details = answered("x")
    details["answer"]["citations"][0]["paragraph"] = 0
    panel = sources_html(details, {"a": {"id": "a", "title": "T", "author": "W", "url": url}})
    article = parse_article("Title\n\nBody text.", "a")
    view = article_view([dataclasses.replace(article, url=url)])
    for shown in (panel, view):
        assert "<a " not in shown and "Original" not in shown


def test_the_original_link_is_escaped_and_opens_apart_from_the_page():
    url = "https://evil.example/'\"><img/src=x/onerror=alert(1)>"
    article = dataclasses.replace(parse_article("Title\n\nBody text.", "a"), url=url)
    details = answered("x")
    details["answer"]["citations"][0]["paragraph"] = 0
    panel = sources_html(details, {"a": {"id": "a", "title": "T", "url": url}})
    for shown in (panel, article_view([article])):
        (link,) = re.findall(r"<a [^>]*>", shown)
        assert 'href="https://evil.example/&#x27;&quot;&gt;&lt;img/src=x/onerror=alert(1)&gt;"' in link
        assert 'target="_blank"' in link and 'rel="noopener noreferrer"' in link
        assert "<img" not in shown
