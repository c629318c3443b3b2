"""The joint reader: its shipped layers load offline over the bundled model, survive a save
and load unchanged, are refused with the fix when damaged, and read question and passage
together (padding in a batch changes nothing; the answering passage scores above others
and its answer span is the one asked for); in bfloat16 where the CPU computes it natively,
within 0.02 logits of fp32."""

from __future__ import annotations

import numpy as np
import pytest

from bot.core.errors import ModelError
from bot.reading import joint, passages

QUESTION = "Who is the chief executive of the London Stock Exchange?"
SENTENCES = [
    "The London Stock Exchange's chief executive, Clara Furse, said the offer undervalued the company.",
    "Shares in the exchange rose 3% in early trading on Monday.",
    "The weather in Frankfurt was cold and wet for most of the week.",
]


@pytest.fixture(scope="module")
def reader():
    return joint.load()


def z(reads):
    return np.array([r.z for r in reads])


def test_the_shipped_reader_points_at_the_answer(reader):
    reads = reader.read(QUESTION, SENTENCES)
    best = reads[0]
    assert SENTENCES[0][best.spans[0][0] : best.spans[0][1]] == "Clara Furse"
    assert best.gap > max(r.gap for r in reads[1:])  # the passage that answers beats "no answer" the most


def test_the_shipped_reader_prefers_the_sentence_that_answers(reader):
    scores = np.array([r.z for r in reader.read(QUESTION, SENTENCES)])
    assert scores.shape == (3,)
    assert int(np.argmax(scores)) == 0
    assert scores[0] > scores[2]


def in_precision(reader, bf16: bool) -> joint.JointModel:
    return joint.JointModel(reader.bert, reader.tokenizer, reader.scale, reader.bias, reader.span, bf16=bf16)


def test_a_pair_scores_the_same_alone_and_padded_in_a_batch(reader):
    fp32 = in_precision(reader, bf16=False)  # bf16's rounding differs with the batch's shape
    alone = z(fp32.read(QUESTION, SENTENCES[1:2]))
    batched = z(fp32.read(QUESTION, SENTENCES))  # the long first sentence pads the second
    assert alone[0] == pytest.approx(batched[1], abs=1e-3)


def test_in_bf16_a_pair_scores_nearly_the_same_alone_and_padded(reader):
    bf16 = in_precision(reader, bf16=True)
    assert z(bf16.read(QUESTION, SENTENCES[1:2]))[0] == pytest.approx(z(bf16.read(QUESTION, SENTENCES))[1], abs=0.02)


def test_the_reader_scores_in_bf16_only_where_the_cpu_computes_it(reader):
    assert reader.bf16 is joint.fast_bf16()


def test_without_the_cpu_checks_the_reader_stays_in_fp32(monkeypatch):
    import torch

    monkeypatch.delattr(torch.cpu, "_is_avx512_bf16_supported")
    assert joint.fast_bf16() is False


@pytest.mark.parametrize("bf16, dtype", [(True, "bfloat16"), (False, "float32")])
def test_the_layers_run_in_the_precision_asked(reader, bf16, dtype):
    seen = []
    layer = reader.bert.encoder.layer[0].attention.self.query
    hook = layer.register_forward_hook(lambda module, args, out: seen.append(str(out.dtype)))
    try:
        in_precision(reader, bf16=bf16).read(QUESTION, SENTENCES[:1])
    finally:
        hook.remove()
    assert seen == [f"torch.{dtype}"]


def test_bf16_scores_keep_the_fp32_scores_and_choice(reader):
    fp32, bf16 = in_precision(reader, bf16=False), in_precision(reader, bf16=True)
    full, half = z(fp32.read(QUESTION, SENTENCES)), z(bf16.read(QUESTION, SENTENCES))
    assert np.allclose(full, half, atol=0.02)
    assert not np.array_equal(full, half)  # bf16 did run
    assert int(np.argmax(full)) == int(np.argmax(half)) == 0


def test_saved_layers_load_back_to_the_same_scores(reader, tmp_path):
    path = tmp_path / "joint.npz"
    joint.save(reader, path)
    again = joint.load(path)
    again.bf16 = False  # compared in fp32: bf16 rounding would blur a difference in the stored layers
    assert np.allclose(
        z(again.read(QUESTION, SENTENCES)), z(in_precision(reader, False).read(QUESTION, SENTENCES)), atol=1e-3
    )


def test_missing_weights_name_the_fix(tmp_path):
    with pytest.raises(ModelError, match="make train-answerer"):
        joint.load(tmp_path / "absent.npz")


def test_damaged_weights_are_refused_with_the_fix(tmp_path):
    bad = tmp_path / "joint.npz"
    bad.write_bytes(joint.WEIGHTS.read_bytes()[:5000])
    with pytest.raises(ModelError, match="make train-answerer"):
        joint.load(bad)


def test_weights_damaged_inside_are_refused_with_the_fix(tmp_path):
    data = bytearray(joint.WEIGHTS.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 4096] = bytes(4096)  # inside a compressed layer: a zlib or a CRC error
    bad = tmp_path / "joint.npz"
    bad.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="make train-answerer"):
        joint.load(bad)


def test_a_question_too_long_to_pair_whole_is_cut_not_failed(reader):
    long_question = "Who said what about the offer from Deutsche Boerse for the exchange " * 12  # ~150 pieces
    scores = z(reader.read(long_question, SENTENCES))
    assert scores.shape == (3,) and np.isfinite(scores).all()


def test_weights_of_another_model_are_refused(tmp_path):
    with np.load(joint.WEIGHTS) as stored:
        arrays = {k: stored[k] for k in stored.files if not k.startswith("encoder.layer.5.")}
    bad = tmp_path / "joint.npz"
    np.savez_compressed(bad, **arrays)
    with pytest.raises(ModelError, match="not the bundled model's"):
        joint.load(bad)


def test_an_empty_candidate_list_reads_nothing(reader):
    assert reader.read(QUESTION, []) == []


def test_candidates_not_read_get_the_floor():
    windows = [passages.Window("a", i, (i,), (0,)) for i in range(2)]
    reads = [passages.Read(1.0, -1.0, []), passages.Read(3.0, 2.0, [(0, 1, 5.0)])]
    cols = passages.columns(reads, windows, 4)
    assert cols[:, 0].tolist() == [1.0, 3.0, 1.0, 1.0]  # the lowest score read
    assert cols[:, 3].tolist() == [1.0, 1.0, 0.0, 0.0]  # read or not
    assert (cols[:, 4] == 3.0).all()  # the best score, on every row
    assert cols[:, 5].tolist() == [-1.0, 2.0, -1.0, -1.0]  # span against no answer, the floor for the rest
    assert cols[:, 8].tolist() == [0.0, 1.0, 0.0, 0.0]  # the best span lies in the centre sentence
    assert passages.columns([], [], 3).shape == (3, len(passages.NAMES))
