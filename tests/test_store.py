"""The index: idempotent, rebuilt when stale, atomic when interrupted, clear about broken folders."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bot.core.errors import IndexFolderError, StoreError
from bot.store import build
from bot.store import index as store
from bot.store.build import FORMAT, PREFIX
from bot.store.chroma import connect
from bot.store.embeddings import Embedder
from bot.store.index import fingerprint, open_index
from bot.text.article import load_articles

SEED_ARTICLES = Path(__file__).resolve().parent.parent / "index" / "articles"


class PowerCut(Exception):
    """What the fake embedder raises halfway through a build."""


class FailingEmbedder(Embedder):
    """The real model, which fails after `ok_batches` batches (a build killed midway)."""

    def __init__(self, real: Embedder, ok_batches: int = 1):
        super().__init__()
        self._embeddings = real.langchain  # share the session's loaded model
        self.ok_batches = ok_batches
        self.calls = 0

    def embed_chunks(self, chunks, progress=False):
        self.calls += 1
        if self.calls > self.ok_batches:
            raise PowerCut("killed during the build")
        return super().embed_chunks(chunks, progress)


class OtherModel(Embedder):
    """The same weights under another model id: an index built with 'another model'."""

    def __init__(self, real: Embedder):
        super().__init__()
        self._embeddings = real.langchain

    @property
    def model_id(self) -> str:
        return "another/model@sha256:0000"


def collections(client) -> dict[str, int]:
    return {c.name: client.get_collection(c.name).count() for c in client.list_collections()}


def change_article(settings) -> None:
    """Edit every paragraph (so that no passage's vectors could be reused) and the range figure."""
    path = next(settings.articles_dir.glob("*.txt"))
    raw = path.read_text(encoding="utf-8")
    (settings.articles_dir.parent / "original.txt.bak").write_text(raw, encoding="utf-8")
    lines = [
        x + " Indeed." if len(x) > 60 and not x.startswith(("Published", "Updated")) else x
        for x in raw.replace("995 miles", "1,000 miles").splitlines()
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


def restore_article(settings) -> None:
    path = next(settings.articles_dir.glob("*.txt"))
    path.write_text((settings.articles_dir.parent / "original.txt.bak").read_text(encoding="utf-8"), encoding="utf-8")


@pytest.fixture
def built(make_settings, embedder):
    """A private index over a private copy of the seed article, for tests that change it."""
    settings = make_settings()
    index = open_index(settings, embedder, progress=False)
    return settings, index


@pytest.fixture(scope="module")
def kept(tmp_path_factory, embedder):
    """One private index for the tests that leave it as they found it."""
    from bot.core.settings import Settings

    root = tmp_path_factory.mktemp("kept")
    shutil.copytree(SEED_ARTICLES, root / "articles")
    settings = Settings(articles_dir=root / "articles", index_dir=root / "chroma")
    return settings, open_index(settings, embedder, progress=False)


# --- idempotent ----------------------------------------------------------------------


def test_a_build_stores_chunks_sentences_and_what_it_was_built_from(kept, embedder):
    settings, index = kept
    name = PREFIX + index.fingerprint[:32]
    assert collections(index.client) == {name: 13}  # one collection: sentence vectors ride in the metadata
    meta = index.chunks_col.metadata
    assert meta["complete"] is True
    assert meta["format"] == FORMAT
    assert meta["fingerprint"] == index.fingerprint
    assert meta["embedding_model"] == embedder.model_id
    assert meta["chunker_version"] == store.CHUNKER_VERSION
    (article,) = index.articles.values()
    assert meta["articles"] == f'{{"{article.id}": "{article.content_hash}"}}'
    assert index.chunks_col.configuration_json["hnsw"]["space"] == "cosine"
    assert index.chunks_col.configuration_json["hnsw"]["max_neighbors"] == 16
    assert set(index.chunks_col.get()["ids"]) == set(index.chunks)


def test_opening_again_adds_nothing(kept, embedder, capsys):
    settings, first = kept
    before = collections(first.client)
    capsys.readouterr()
    again = open_index(settings, embedder, progress=True)
    assert again.fingerprint == first.fingerprint
    assert collections(again.client) == before
    assert capsys.readouterr().err == ""  # no rebuild message, no progress bar


def test_a_forced_rebuild_of_the_same_articles_adds_nothing(kept, embedder, capsys):
    settings, first = kept
    before = collections(first.client)
    capsys.readouterr()
    again = open_index(settings, embedder, rebuild=True, progress=True)
    assert "Index: rebuilding as asked (13 passages: embedding 13)…" in capsys.readouterr().err
    assert again.fingerprint == first.fingerprint
    assert collections(again.client) == before


# --- stale ---------------------------------------------------------------------------


def test_a_changed_article_makes_the_index_stale_and_it_is_rebuilt(built, embedder, capsys):
    settings, old = built
    old_names = set(collections(old.client))
    change_article(settings)
    with pytest.raises(StoreError) as e:
        open_index(settings, embedder, build=False)
    assert str(e.value) == (
        f"No current index for {settings.articles_dir} in {settings.index_dir} - run `python -m bot index`"
    )
    capsys.readouterr()
    new = open_index(settings, embedder, progress=True)
    assert (  # a passage's id comes from its article's text: a changed article is embedded anew
        "Index: the articles, model, chunker or index layout changed: rebuilding (13 passages: embedding 13)…"
        in capsys.readouterr().err
    )
    assert new.fingerprint != old.fingerprint
    assert set(collections(new.client)) == {PREFIX + new.fingerprint[:32]}  # the old build is dropped
    assert not old_names & set(collections(new.client))
    assert any("1,000 miles" in c.text for c in new.chunks.values())


def test_the_fingerprint_changes_with_articles_model_chunker_and_layout(make_settings, monkeypatch):
    articles = load_articles(make_settings().articles_dir)
    base = fingerprint(articles, "model-a")
    assert fingerprint(articles, "model-a") == base
    assert fingerprint(articles, "model-b") != base
    monkeypatch.setattr(store, "CHUNKER_VERSION", store.CHUNKER_VERSION + "-next")
    chunker = fingerprint(articles, "model-a")
    assert chunker != base
    monkeypatch.setattr(store, "FORMAT", store.FORMAT + 1)
    assert fingerprint(articles, "model-a") not in (base, chunker)


def test_another_embedding_model_makes_the_index_stale(built, embedder):
    settings, old = built
    other = open_index(settings, OtherModel(embedder), progress=False)
    assert other.fingerprint != old.fingerprint
    assert other.chunks_col.metadata["embedding_model"] == "another/model@sha256:0000"
    assert len(collections(other.client)) == 1


# --- atomic --------------------------------------------------------------------------


def test_an_interrupted_build_leaves_the_previous_index_serving(built, embedder, monkeypatch, capsys):
    settings, old = built
    old_counts = collections(old.client)
    query = embedder.embed_query("How far can the Tomahawk fly?")
    monkeypatch.setattr(build, "BATCH", 4)  # 13 passages: four batches
    change_article(settings)
    failing = FailingEmbedder(embedder, ok_batches=1)
    with pytest.raises(PowerCut):
        open_index(settings, failing, progress=False)
    assert failing.calls == 2

    # The half build sits beside the old one, marked incomplete.
    counts = collections(old.client)
    half = {n: c for n, c in counts.items() if n not in old_counts}
    ((half_name, half_count),) = half.items()
    assert half_count == 4
    assert old.client.get_collection(half_name).metadata["complete"] is False
    assert {n: counts[n] for n in old_counts} == old_counts

    # Whoever has the old index open still gets answers from it.
    assert len(old.dense(query, 3)) == 3

    # The half build is never opened as the current index.
    with pytest.raises(StoreError, match=re.escape("No current index for")):
        open_index(settings, embedder, build=False)

    # With the old text back, the old build is found complete and opened as it is.
    restore_article(settings)
    capsys.readouterr()
    back = open_index(settings, embedder, build=False, progress=True)
    assert back.fingerprint == old.fingerprint
    assert capsys.readouterr().err == ""
    assert [cid for cid, _ in back.dense(query, 3)] == [cid for cid, _ in old.dense(query, 3)]

    # Changed again, the next open finishes the interrupted build and drops the rest.
    change_article(settings)
    done = open_index(settings, embedder, progress=True)
    assert "Index: finishing an interrupted build (13 passages: embedding 13)…" in capsys.readouterr().err
    assert PREFIX + done.fingerprint[:32] == half_name
    assert collections(done.client) == {half_name: 13}
    assert done.chunks_col.metadata["complete"] is True


def test_an_interrupted_forced_rebuild_leaves_the_previous_index_serving(built, embedder, monkeypatch):
    settings, old = built
    before = collections(old.client)
    monkeypatch.setattr(build, "BATCH", 4)
    with pytest.raises(PowerCut):
        open_index(settings, FailingEmbedder(embedder, ok_batches=1), rebuild=True, progress=False)
    # The rebuild went to a staging build beside the serving one, which is untouched.
    name = PREFIX + old.fingerprint[:32]
    assert collections(old.client) == before | {name + store.STAGING: 4}
    assert open_index(settings, embedder, build=False).fingerprint == old.fingerprint
    # A rebuild that completes swaps the staging build in and leaves nothing else behind.
    again = open_index(settings, embedder, rebuild=True, progress=False)
    assert collections(again.client) == before
    assert again.chunks_col.metadata["complete"] is True


# --- broken folders ------------------------------------------------------------------


def test_a_foreign_folder_is_refused(make_settings, embedder):
    settings = make_settings()
    settings.index_dir.mkdir()
    (settings.index_dir / "holiday.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(IndexFolderError) as e:
        open_index(settings, embedder)
    assert isinstance(e.value, StoreError) and e.value.exit_code == 2
    assert str(e.value) == (
        f"{settings.index_dir} is not an index folder (it has files but no chroma.sqlite3) - set BOT_INDEX_DIR to an "
        "empty or new folder, or move those files away"
    )
    assert (settings.index_dir / "holiday.jpg").exists()  # nothing of the user's is touched


def test_a_file_instead_of_a_folder_is_refused(tmp_path):
    path = tmp_path / "chroma"
    path.write_text("not a folder")
    with pytest.raises(IndexFolderError) as e:
        connect(path)
    assert str(e.value) == f"Index path {path} is a file, not a folder - remove it or set BOT_INDEX_DIR to a folder"


def test_a_corrupt_index_names_the_rebuild_and_the_rebuild_recovers(make_settings, embedder):
    settings = make_settings()
    settings.index_dir.mkdir()
    (settings.index_dir / "chroma.sqlite3").write_bytes(b"this is not a database\x00" * 200)
    with pytest.raises(StoreError) as e:
        open_index(settings, embedder)
    assert not isinstance(e.value, IndexFolderError) and e.value.exit_code == 1
    assert re.fullmatch(
        rf"Index at {re.escape(str(settings.index_dir))} is corrupt or from an incompatible version \(\w+\) - "
        r"run `python -m bot index --rebuild`",
        str(e.value),
    )
    index = open_index(settings, embedder, rebuild=True, progress=False)
    assert len(index.chunks) == 13
    assert collections(index.client)[PREFIX + index.fingerprint[:32]] == 13
    # ... and it opens normally afterwards.
    assert open_index(settings, embedder, build=False).fingerprint == index.fingerprint


def test_a_rebuild_over_a_corrupt_index_removes_only_what_chroma_wrote(make_settings, embedder):
    settings = make_settings()
    segment = settings.index_dir / "0b1e7c52-3f4a-4d8e-9c61-2a7f5e9d8b10"
    segment.mkdir(parents=True)
    (segment / "data_level0.bin").write_bytes(b"\x00" * 64)
    (settings.index_dir / "chroma.sqlite3").write_bytes(b"this is not a database\x00" * 200)
    (settings.index_dir / "notes.txt").write_text("mine")
    with pytest.raises(IndexFolderError, match="is not an index folder"):
        open_index(settings, embedder, rebuild=True, progress=False)
    assert sorted(p.name for p in settings.index_dir.iterdir()) == ["notes.txt"]
    assert (settings.index_dir / "notes.txt").read_text() == "mine"


def test_adding_an_article_embeds_only_its_passages_and_says_so(make_settings, embedder, capsys):
    """`bot add` to an indexed folder copies the other passages' vectors: the message and the
    progress bar count only the passages it embeds."""
    from conftest import CountingEmbedder

    settings = make_settings()
    open_index(settings, embedder, progress=False)
    (settings.articles_dir / "second.txt").write_text(
        "A second article\n\nIts only paragraph says something new about bridges.\n\nAnd one more.\n", encoding="utf-8"
    )
    counting = CountingEmbedder(embedder)
    capsys.readouterr()
    index = open_index(settings, counting, progress=True)
    err = capsys.readouterr().err
    new = len([c for c in index.chunks.values() if c.article_id == "second"])
    assert counting.embedded == new
    assert f"passages: embedding {new}, reusing 13)…" in err
    assert f"{new}/{new}" in err and "13/13" not in err  # the bar counts what it embeds


def test_the_analysis_cache_is_pruned_with_the_articles(make_settings, embedder):
    """The reader's cached analysis of an article goes when the article goes (or changes)."""
    from bot.answering.pipeline import ArticleQA

    settings = make_settings()
    (settings.articles_dir / "second.txt").write_text(
        "A second article\n\nIts only paragraph says something new about bridges.\n", encoding="utf-8"
    )
    qa = ArticleQA(settings)
    qa.embedder = qa.reader.embedder = embedder
    qa.index(progress=False)
    cache = qa.reader.cache_dir
    assert len(list(cache.glob("*.json"))) == 2
    (settings.articles_dir / "second.txt").unlink()
    qa.index(progress=False)  # reopened: the folder changed
    assert len(list(cache.glob("*.json"))) == len(list(cache.glob("*.npz"))) == 1


def test_two_articles_with_the_same_text_are_both_indexed(make_settings, embedder):
    """An archive holds repeats (the BBC corpus does): the same text under two names is two
    articles, each with its own passages, not one id twice in a build (Chroma refuses that)."""
    settings = make_settings()
    seed = next(settings.articles_dir.glob("*.txt"))
    (settings.articles_dir / "copy.txt").write_text(seed.read_text(encoding="utf-8"), encoding="utf-8")
    index = open_index(settings, embedder, progress=False)
    per_article = {a: sum(c.article_id == a for c in index.chunks.values()) for a in index.articles}
    assert len(per_article) == 2 and len(set(per_article.values())) == 1 and index.chunks_col.count() == 26
