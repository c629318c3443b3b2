"""A running app follows the index (issue 17, point 1): while another process adds,
removes and rebuilds, the app keeps answering - 100 questions or more, none failed - and
each answer after a change comes from the new index: an added article is quoted, a
removed one is not.

The app runs in this process on 127.0.0.1 (over a private copy of the seed article); the
changes are made by `python -m bot` processes, as an operator would make them.
"""

from __future__ import annotations

import threading
import time

import pytest
from gradio_client import Client
from run_bot import bot
from test_articles_folder import LIBRARY
from test_ui_client import free_port

pytestmark = pytest.mark.filterwarnings("ignore:.*(no_silent_downcasting|copy keyword):DeprecationWarning")

RANGE = "What is the range of a Tomahawk missile?"
PETITION = "How many signatures did the petition gather?"


@pytest.fixture
def live_app(make_settings, embedder):
    from bot.answering.pipeline import ArticleQA
    from bot.app.ui import launch

    settings = make_settings()
    qa = ArticleQA(settings)
    qa.embedder = embedder
    qa.index(progress=False)
    demo = launch(qa, server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True)
    yield settings, demo.local_url.rstrip("/")
    demo.close()


class Asker(threading.Thread):
    """Asks the range question again and again; every answer must cite ¶10 of the seed."""

    def __init__(self, url: str):
        super().__init__(daemon=True, name="asker")
        self.client = Client(url, verbose=False, httpx_kwargs={"timeout": 120})
        self.stop = threading.Event()
        self.answered, self.failed = 0, []

    def run(self):
        while not self.stop.is_set():
            try:
                answer = self.client.predict(RANGE, None, api_name="/ask")
                if not answer["citations"] or answer["citations"][0]["paragraph"] != 10:
                    self.failed.append(("wrong answer", answer["response"][:200]))
                else:
                    self.answered += 1
            except Exception as e:  # noqa: BLE001 - every failure is counted and shown
                self.failed.append((type(e).__name__, str(e)[:300]))


@pytest.mark.slow
@pytest.mark.load
def test_a_running_app_keeps_answering_while_another_process_adds_removes_and_rebuilds(live_app, tmp_path):
    settings, url = live_app
    env = dict(articles=settings.articles_dir, index=settings.index_dir, timeout=600)
    (tmp_path / "library.txt").write_text(LIBRARY, encoding="utf-8")
    check = Client(url, verbose=False, httpx_kwargs={"timeout": 120})
    asker = Asker(url)
    asker.start()
    try:
        added = bot("add", tmp_path / "library.txt", **env)
        assert added.returncode == 0, added.stdout + added.stderr
        answer = check.predict(PETITION, None, api_name="/ask")
        assert "4,200" in answer["response"], answer["response"]
        assert {c["article_id"] for c in answer["citations"]} == {"library"}

        removed = bot("remove", "library", **env)
        assert removed.returncode == 0, removed.stdout + removed.stderr
        answer = check.predict(PETITION, None, api_name="/ask")
        assert "4,200" not in answer["response"]
        assert "library" not in {c["article_id"] for c in answer["citations"]}

        rebuilt = bot("index", "--rebuild", **env)
        assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
        assert check.predict(RANGE, None, api_name="/ask")["citations"][0]["paragraph"] == 10

        deadline = time.monotonic() + 300
        while asker.answered + len(asker.failed) < 100 and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        asker.stop.set()
        asker.join(timeout=180)
    assert asker.failed == [], f"{len(asker.failed)} failed of {asker.answered + len(asker.failed)}: {asker.failed[:3]}"
    assert asker.answered >= 100
