"""The page in a real browser: Debian's Chromium driven by Playwright against a local server.

One server and one page for the module; the tests run in order, like one reader's
visit: ask, check the sources, rate, export, try bad input, clear. Screenshots go to
test-artifacts/.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import playwright.sync_api as playwright  # a dev dependency: missing, the suite fails rather than skips
import pytest

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:.*(no_silent_downcasting|copy keyword):DeprecationWarning"),
]

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
]
TOMAHAWK = "What is the range of a Tomahawk missile?"
XSS = "<img src=x onerror=alert(1)>"
TIMEOUT_MS = 60_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(qa, tmp_path_factory):
    from bot.app.ui import launch

    no_runs = tmp_path_factory.mktemp("eval-runs")
    demo = launch(
        qa,
        eval_root=str(no_runs),
        server_name="127.0.0.1",
        server_port=free_port(),
        prevent_thread_lock=True,
        quiet=True,
    )
    yield demo.local_url
    demo.close()


@pytest.fixture(scope="module")
def page(app_url):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing - run `make setup-browser` (as root)")
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.dialogs = []  # any alert() would be an injected script running
        page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
        page.goto(app_url)
        yield page
        browser.close()


def ask(page, question: str) -> None:
    """Type a question, send it, and wait until its answer (or message) has arrived."""
    bots = page.locator("#chat [data-testid='bot']")
    before = bots.count()
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")
    page.wait_for_function(
        "n => { const b = document.querySelectorAll('#chat [data-testid=\"bot\"]');"
        " return b.length > n && !b[b.length - 1].innerText.trim().endsWith('…')"
        " && document.querySelector('#question textarea').value === ''; }",
        arg=before,
    )


def last_bot(page) -> str:
    return page.locator("#chat [data-testid='bot']").last.inner_text()


def test_page_shows_the_article_and_becomes_ready(page):
    page.wait_for_function("() => document.querySelector('#question textarea')?.disabled === false")
    header = page.locator("#article-header").inner_text()
    assert "Trump And Putin Set To Meet For Second Time In Hungary" in header
    assert "Abhishek Tiwari" in header and "17 October 2025" in header
    assert "Ready" in page.locator("#status").inner_text()
    assert page.get_by_text(TOMAHAWK).count() >= 1  # offered as an example question


def test_an_answer_shows_its_marker_and_the_cited_paragraph(page):
    ask(page, TOMAHAWK)
    answer = last_bot(page)
    assert "995 miles" in answer and "[1]" in answer and "Sources: [1] ¶10" in answer
    source = page.locator("#sources .source").first
    assert source.get_attribute("data-paragraph") == "10"
    assert source.locator(".source-label").inner_text() == "¶10"
    assert "range of around 995 miles" in source.locator("mark").inner_text()
    page.screenshot(path=str(ARTIFACTS / "chat-answer.png"), full_page=True)


def test_rating_with_a_comment_is_logged(page, qa):
    page.locator("#comment textarea").fill("Right paragraph, browser test")
    page.locator("#rate-up").click()
    page.wait_for_function("() => document.querySelector('#rated').innerText.includes('Thanks')")
    assert page.locator("#comment textarea").input_value() == ""
    lines = qa.settings.feedback_path.read_text().splitlines()
    record = next(json.loads(x) for x in reversed(lines) if "browser test" in x)
    assert record["rating"] == "up" and record["comment"] == "Right paragraph, browser test"
    assert record["question"] == TOMAHAWK and record["citations"][0]["paragraph"] == 10
    assert record["backend"] == "extractive" and record["time"]


def test_a_follow_up_says_what_was_searched(page):
    ask(page, "What is its range?")
    assert "Searched for:" in last_bot(page) and "Tomahawk" in last_bot(page)
    assert "Searched for:" in page.locator("#sources").inner_text()


def test_a_question_the_article_does_not_answer_is_refused(page):
    ask(page, "What is the capital of France?")
    assert last_bot(page).startswith("The article doesn't say")
    assert "doesn't say" in page.locator("#sources").inner_text()


def test_clicking_an_earlier_answer_shows_its_sources(page):
    shows_first = "() => document.querySelector('#sources .sources-q')?.innerText.includes('Tomahawk missile?')"
    first = page.locator("#chat [data-testid='bot']").first
    for attempt in range(3):  # a click that lands while the chat re-renders selects nothing: click again
        first.scroll_into_view_if_needed()
        first.click(position={"x": 20, "y": 12})
        try:
            page.wait_for_function(shows_first, timeout=TIMEOUT_MS // 3)
            break
        except playwright.TimeoutError:
            if attempt == 2:
                raise
    assert page.locator("#sources .source").first.get_attribute("data-paragraph") == "10"


def test_markup_in_a_question_is_shown_as_text(page):
    ask(page, XSS)
    assert page.locator("#chat [data-testid='user']").last.inner_text().strip() == XSS
    assert page.locator("#chat img[src='x']").count() == 0
    assert page.locator("#sources img").count() == 0
    page.wait_for_timeout(300)
    assert page.dialogs == []


@pytest.mark.parametrize(
    "question, says",
    [
        ("x" * 100_000, "the limit is 2,000"),
        ("🙂🙂🙂", "no words"),
        ("   ", "empty"),
    ],
)
def test_bad_input_gets_a_friendly_message_and_the_chat_goes_on(page, question, says):
    ask(page, question)
    message = last_bot(page)
    assert says in message and "Traceback" not in message
    ask(page, "Who wrote the article?")
    assert "Abhishek Tiwari" in last_bot(page)


@pytest.fixture(scope="module")
def downloads(tmp_path_factory):
    return tmp_path_factory.mktemp("downloads")


def test_export_downloads_markdown_and_json(page, downloads):
    page.locator("#export-button").click()
    links = page.locator("#exports a")
    links.first.wait_for()
    got = {}
    for ext in (".md", ".json"):
        with page.expect_download() as download:
            page.locator(f"#exports a[download$='{ext}']").click()
        path = downloads / f"conversation{ext}"
        download.value.save_as(path)
        got[ext] = path.read_text(encoding="utf-8")
    assert f"## 1. {TOMAHAWK}" in got[".md"] and "- [1] ¶10:" in got[".md"]
    assert "&lt;img src=x onerror=alert(1)&gt;" in got[".md"]
    doc = json.loads(got[".json"])
    first = doc["conversation"][0]
    assert first["question"] == TOMAHAWK and first["answer"]["citations"][0]["paragraph"] == 10
    assert any(turn["question"] == XSS for turn in doc["conversation"])


def test_clear_starts_over(page):
    page.locator("#clear-button").click()
    page.wait_for_function("() => document.querySelectorAll('#chat [data-testid=\"bot\"]').length === 0")
    assert "appear here" in page.locator("#sources").inner_text()
    page.locator("#chat").get_by_text("Who initiated the phone call?").click()  # an example, asked at once
    page.wait_for_function("() => document.querySelector('#sources .sources-q')?.innerText.includes('phone call')")
    assert page.locator("#chat [data-testid='bot']").count() == 1
    assert "Putin" in last_bot(page) and "[1]" in last_bot(page)
    ask(page, "What is its range?")  # the old Tomahawk turns were forgotten: nothing to rewrite from
    searched = [line for line in last_bot(page).splitlines() if line.startswith("Searched for:")]
    assert not any("Tomahawk" in line for line in searched)


def test_an_exported_conversation_loads_back_with_its_citations(page, downloads):
    with page.expect_file_chooser() as chooser:
        page.locator("#load-button").click()
    chooser.value.set_files(str(downloads / "conversation.json"))
    page.wait_for_function("() => document.querySelector('#note').innerText.includes('Loaded a conversation')")
    assert page.locator("#chat [data-testid='user']").first.inner_text().strip() == TOMAHAWK
    assert "Sources: [1] ¶10" in page.locator("#chat [data-testid='bot']").first.inner_text()
    page.locator("#chat [data-testid='bot']").first.click()
    page.wait_for_function("() => document.querySelector('#sources .sources-q')?.innerText.includes('Tomahawk')")
    assert page.locator("#sources .source").first.get_attribute("data-paragraph") == "10"
    page.screenshot(path=str(ARTIFACTS / "conversation-loaded.png"), full_page=True)


def test_evaluation_tab_shows_a_report_or_how_to_make_one(page):
    page.get_by_role("tab", name="Evaluation").click()
    summary = page.locator("#eval-summary")
    page.wait_for_function("() => document.querySelector('#eval-summary')?.innerText.includes('evaluation run')")
    assert "No evaluation run yet - run python -m bot eval tests/eval/article.jsonl" in summary.inner_text()
    page.screenshot(path=str(ARTIFACTS / "evaluation-tab.png"), full_page=True)
    page.get_by_role("tab", name="Chat").click()
