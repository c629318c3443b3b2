"""Settings: the BOT_ variables validated by pydantic-settings, secrets never shown."""

import pytest

from bot.core.errors import ConfigError
from bot.core.settings import Settings


def test_defaults_match_the_readme():
    s = Settings.from_env({})
    assert (s.top_k, s.llm, s.llm_timeout_s, s.chroma_url, s.llm_base_url) == (5, "extractive", 30.0, None, None)
    assert s.feedback_path == s.index_dir.parent / "feedback.jsonl"


def test_urls_are_kept_as_written():
    s = Settings.from_env({"BOT_LLM_BASE_URL": " http://127.0.0.1:8080/v1 ", "BOT_CHROMA_URL": "http://h:8000"})
    assert (s.llm_base_url, s.chroma_url) == ("http://127.0.0.1:8080/v1", "http://h:8000")


def test_secrets_are_read_but_never_shown():
    s = Settings.from_env({"OPENAI_API_KEY": "sk-SECRET", "HF_TOKEN": "hf_SECRET"})
    assert s.secrets["OPENAI_API_KEY"].get_secret_value() == "sk-SECRET"
    assert "SECRET" not in repr(s) + str(s) + str(s.model_dump()) + repr(s.secrets)


def test_frozen():
    with pytest.raises(Exception, match="frozen"):
        Settings().top_k = 3


@pytest.mark.parametrize("changes", [{"top_k": 51}, {"llm_timeout_s": 0}, {"chroma_url": "ftp://h"}])
def test_keyword_construction_is_validated_too(changes):
    with pytest.raises(ConfigError, match=" - set it "):
        Settings(**changes)
