"""BOT_CHROMA_URL: the same index, retrieval and answers on a real `chroma run` server
started on a free 127.0.0.1 port over a temporary folder."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import EVAL_DIR, SEED_ARTICLES, CountingEmbedder  # tests/ is on sys.path (pytest's rootdir conftest)
from test_ingest import NEWS_PAGE

from benchmarks.chroma_server import chroma_server, free_port
from bot.answering.pipeline import ArticleQA
from bot.core.errors import StoreError
from bot.core.settings import Settings
from bot.ingest.sources import add
from bot.store.build import PREFIX
from bot.store.chroma import connect
from bot.store.index import open_index

pytestmark = pytest.mark.slow

QUESTIONS = [json.loads(line)["user_input"] for line in (EVAL_DIR / "article.jsonl").read_text().splitlines()[:8]]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with chroma_server(tmp_path_factory.mktemp("chroma-server")) as s:
        yield s


@pytest.fixture(scope="module")
def server_qa(server, embedder, tmp_path_factory):
    """The seed article indexed on the server (read-only tests share it)."""
    folder = tmp_path_factory.mktemp("server-qa")
    settings = Settings(
        articles_dir=SEED_ARTICLES,
        index_dir=folder / "unused",
        chroma_url=server.url,
        feedback_path=folder / "feedback.jsonl",
    )
    pipeline = ArticleQA(settings)
    pipeline.embedder = embedder
    pipeline.index(progress=False)
    return pipeline


def _builds(client) -> list[str]:
    return sorted(c.name for c in client.list_collections() if c.name.startswith(PREFIX))


def test_the_server_index_retrieves_what_the_embedded_one_does(server_qa, qa):
    assert server_qa.index().fingerprint == qa.index().fingerprint
    assert not (server_qa.settings.index_dir).exists()  # nothing was written to the embedded folder
    for question in QUESTIONS:
        on_server = server_qa.retriever.search(question)
        embedded = qa.retriever.search(question)
        assert [d.id for d in on_server] == [d.id for d in embedded], question
        assert [d.metadata["dense_score"] for d in on_server] == pytest.approx(
            [d.metadata["dense_score"] for d in embedded], abs=1e-3
        )


def test_answers_over_the_server_are_the_embedded_answers(server_qa, qa):
    for question in QUESTIONS[:4]:
        a, b = server_qa.ask(question), qa.ask(question)
        assert (a.response, a.abstained, a.citations) == (b.response, b.abstained, b.citations)
    answer = server_qa.ask("What is the range of a Tomahawk missile?")
    assert not answer.abstained
    assert answer.citations[0].article_id == SEED_ARTICLES.glob("*.txt").__next__().stem


def test_reopening_finds_the_build_on_the_server_and_adds_nothing(server_qa, embedder):
    client = server_qa.index().client
    before = _builds(client)
    again = open_index(server_qa.settings, embedder, build=False, progress=False)
    assert again.fingerprint == server_qa.index().fingerprint
    assert _builds(client) == before == [again.chunks_col.name]
    assert again.chunks_col.count() == len(again.chunks)


def test_a_new_article_builds_a_new_index_on_the_server_drops_the_old_and_can_be_searched_alone(embedder, tmp_path):
    articles = tmp_path / "articles"
    shutil.copytree(SEED_ARTICLES, articles)
    with chroma_server(tmp_path / "server") as s:
        settings = Settings(articles_dir=articles, index_dir=tmp_path / "unused", chroma_url=s.url)
        first = open_index(settings, embedder, progress=False)
        (tmp_path / "page.html").write_text(NEWS_PAGE, encoding="utf-8")
        assert add([str(tmp_path / "page.html")], articles)[0].status == "added"
        qa = ArticleQA(settings)
        qa.embedder = embedder
        second = qa.index(progress=False)
        assert second.fingerprint != first.fingerprint
        assert _builds(second.client) == [second.chunks_col.name]
        docs = qa.retriever.search("What is the range of a Tomahawk missile?", article_id="page")
        assert docs and {d.metadata["article_id"] for d in docs} == {"page"}
        answer = qa.ask("How much did the bridge repair cost?")
        assert {(c.article_id, c.published) for c in answer.citations} == {("page", "3 November 2025")}


def test_a_server_that_is_down_gives_a_store_error_naming_the_url(embedder, tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(StoreError) as e:
        connect(tmp_path / "unused", url)
    assert str(e.value).startswith(f"Cannot reach the Chroma server at {url} (")
    assert "start it (`chroma run --path index/chroma-server --port 8000`) or unset BOT_CHROMA_URL" in str(e.value)
    qa = ArticleQA(Settings(articles_dir=SEED_ARTICLES, index_dir=tmp_path / "unused", chroma_url=url))
    qa.embedder = embedder
    with pytest.raises(StoreError, match=f"Cannot reach the Chroma server at {url}"):
        qa.ask("What is the range of a Tomahawk missile?")


def test_a_server_that_stops_after_indexing_gives_a_store_error_not_a_traceback(embedder, tmp_path):
    with chroma_server(tmp_path / "server") as s:
        qa = ArticleQA(Settings(articles_dir=SEED_ARTICLES, index_dir=tmp_path / "unused", chroma_url=s.url))
        qa.embedder = embedder
        assert not qa.ask("What is the range of a Tomahawk missile?").abstained
    with pytest.raises(StoreError) as e:
        qa.ask("Where will Trump and Putin meet?")
    assert str(e.value).startswith(f"The Chroma server at {s.url} stopped answering (")
    assert str(e.value).endswith(
        "restart it (`chroma run --path index/chroma-server --port 8000`) or unset BOT_CHROMA_URL"
    )


@pytest.mark.parametrize("url", ["127.0.0.1:8000", "ftp://127.0.0.1:8000", "http://"])
def test_a_malformed_server_url_is_refused_with_the_fix(url, tmp_path):
    with pytest.raises(StoreError, match="is not an http\\(s\\) URL - set it like http://127.0.0.1:8000"):
        connect(tmp_path / "unused", url)


def test_a_new_article_reuses_the_vectors_of_the_unchanged_ones(embedder, tmp_path):
    """Adding one article to an archive embeds only that article's passages."""
    articles = tmp_path / "articles"
    shutil.copytree(SEED_ARTICLES, articles)
    with chroma_server(tmp_path / "server") as s:
        settings = Settings(articles_dir=articles, index_dir=tmp_path / "unused", chroma_url=s.url)
        counting = CountingEmbedder(embedder)
        first = open_index(settings, counting, progress=False)
        assert counting.embedded == len(first.chunks)
        (tmp_path / "page.html").write_text(NEWS_PAGE, encoding="utf-8")
        add([str(tmp_path / "page.html")], articles)
        counting.embedded = 0
        second = open_index(settings, counting, progress=False)
        new = [c for c in second.chunks.values() if c.article_id == "page"]
        assert counting.embedded == len(new) < len(second.chunks)
        old_ids = [c for c in first.chunks]
        copied = second.chunks_col.get(ids=old_ids, include=["embeddings"])
        fresh = embedder.embed_chunks([first.chunks[c] for c in copied["ids"]])
        assert copied["embeddings"] == pytest.approx(fresh, abs=1e-4)
