"""An article that cannot be read or has no text gets one line saying what is wrong and
what to do; a misplaced folder is a usage error (exit 2), a broken file is not."""

from __future__ import annotations

import re

import pytest

from bot.core.errors import ArticlesError, ArticlesFolderError, ConfigError
from bot.text.article import load_articles, parse_article


@pytest.mark.parametrize(
    "raw, message",
    [
        ("", "Article 'x' is empty - put the article's text in the file"),
        (" \n\u00a0\n\t\n", "Article 'x' is empty - put the article's text in the file"),
        (
            "Published By : Ann Lee\nPublished On: 1 May 2020\nUpdated 2 May 2020",
            "Article 'x' has no text besides its metadata - check the file",
        ),
        ("Only A Title\nAdvertisement", "Article 'x' has no body paragraphs - check the file"),
    ],
)
def test_parse_errors(raw, message):
    with pytest.raises(ArticlesError) as e:
        parse_article(raw, "x")
    assert str(e.value) == message


def test_empty_file(tmp_path):
    (tmp_path / "blank.txt").write_text("")
    with pytest.raises(ArticlesError, match=re.escape("Article 'blank' is empty - put the article's text in the file")):
        load_articles(tmp_path)


def test_metadata_only_file(tmp_path):
    (tmp_path / "meta.txt").write_text("Published By : Ann Lee\n\nPublished On: 1 May 2020\n")
    with pytest.raises(
        ArticlesError, match=re.escape("Article 'meta' has no text besides its metadata - check the file")
    ):
        load_articles(tmp_path)


def test_missing_folder(tmp_path):
    folder = tmp_path / "nowhere"
    with pytest.raises(ArticlesFolderError) as e:
        load_articles(folder)
    assert isinstance(e.value, ArticlesError) and isinstance(e.value, ConfigError)
    assert e.value.exit_code == 2  # the setting points at the wrong place: a usage error
    assert str(e.value) == (
        f"Articles folder {folder} does not exist - create it and put the article .txt files in it, "
        "or set BOT_ARTICLES_DIR to the folder that has them"
    )


def test_a_file_where_the_folder_should_be(tmp_path):
    path = tmp_path / "article.txt"
    path.write_text("Title\n\nText.")
    with pytest.raises(ArticlesFolderError) as e:
        load_articles(path)
    assert e.value.exit_code == 2
    assert str(e.value) == (
        f"Articles folder {path} is a file, not a folder - set BOT_ARTICLES_DIR to the folder that holds "
        "the article .txt files"
    )


def test_folder_without_txt(tmp_path):
    (tmp_path / "notes.md").write_text("# not an article")
    (tmp_path / "sub.txt").mkdir()  # a folder named like an article is not one
    with pytest.raises(ArticlesFolderError) as e:
        load_articles(tmp_path)
    assert e.value.exit_code == 2
    assert (
        str(e.value) == f"Articles folder {tmp_path} has no .txt articles - add one (see index/articles/ in the repo)"
    )


def test_non_utf8_file(tmp_path):
    path = tmp_path / "latin.txt"
    path.write_bytes("Caf\u00e9 Title\nA paragraph about caf\u00e9s.\n".encode("latin-1"))
    with pytest.raises(ArticlesError) as e:
        load_articles(tmp_path)
    assert e.value.exit_code == 1  # the file itself is broken, not the setting
    assert str(e.value) == f"{path} is not UTF-8 text - save it as UTF-8 and index again"
