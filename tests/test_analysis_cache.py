"""The analysis cache beside the index as several processes share it: two writers of one
article's analysis at once each write a temporary file of their own and rename it into
place, so neither loses its write nor leaves a file behind.

Kept apart: it calls the cache's writer (`bot.reading.analysis._write`) directly, with no
model, so it runs in a moment.
"""

from __future__ import annotations

import json
import logging
import os

import numpy as np

from bot.reading import analysis


def test_two_writers_of_one_analysis_at_once_each_keep_their_own_temporary_file(tmp_path, monkeypatch, caplog):
    js, npz = tmp_path / "cache" / "k.json", tmp_path / "cache" / "k.npz"
    vectors = np.ones((2, 4), dtype=np.float32)
    tokens = [np.ones((3, 4), dtype=np.int8), np.ones((1, 4), dtype=np.int8)]
    scales = [np.ones((3, 1), dtype=np.float32), np.ones((1, 1), dtype=np.float32)]
    real_replace, renamed = os.replace, []

    def replace_after_another_writer(src, dst):
        """The first rename of writer A waits while writer B (another process, or a thread
        of this one) writes and renames the same two files from start to end."""
        renamed.append((os.fspath(src), os.fspath(dst)))
        if len(renamed) == 1:
            analysis._write(js, npz, [], vectors, tokens, scales)
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace_after_another_writer)
    with caplog.at_level(logging.WARNING, logger="bot.reading.analysis"):
        analysis._write(js, npz, [], vectors, tokens, scales)
    assert not caplog.records, [r.getMessage() for r in caplog.records]  # neither lost its write
    assert len({src for src, _ in renamed}) == len(renamed) == 4  # four temporary files, none shared
    assert json.loads(js.read_text(encoding="utf-8")) == []
    with np.load(npz) as z:
        assert (
            z["vectors"].shape == (2, 4)
            and list(z["lens"]) == [3, 1]
            and z["tokens"].shape == (4, 4)
            and z["scales"].shape == (4, 1)
        )
    assert sorted(p.name for p in js.parent.iterdir()) == ["k.json", "k.npz"]  # nothing left behind
