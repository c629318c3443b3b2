"""Training data the reader learns from: the off-topic refusals made from written questions."""

from __future__ import annotations

from bot.training.data import Question, off_topic


def q(id, article_id, answerable=True, history=None, source="bbc"):
    return Question(
        id, article_id, f"question {id}?", answerable, [(0, 5)] if answerable else [], history or [], source
    )


QUESTIONS = [
    q("b1", "bbc-business-001"),
    q("b2", "bbc-business-002"),
    q("s1", "bbc-sport-001"),
    q("s2", "bbc-sport-001", history=[{"role": "user", "content": "earlier"}]),  # a follow-up leans on its chat
    q("s3", "bbc-sport-002", answerable=False),
    q("t1", "bbc-tech-001"),
    q("n1", "squad-normans", source="squad"),
]


def test_off_topic_questions_come_from_another_category_and_are_refusals():
    made = off_topic(QUESTIONS, per_article=2, seed=0)
    by_text = {x.text: x for x in QUESTIONS}
    assert {x.article_id for x in made} == {
        "bbc-business-001",
        "bbc-business-002",
        "bbc-sport-001",
        "bbc-sport-002",
        "bbc-tech-001",
    }
    for x in made:
        origin = by_text[x.text]
        assert (
            origin.source == "bbc" and origin.answerable and not origin.history
        )  # standalone, answerable where written
        assert origin.article_id.split("-")[1] != x.article_id.split("-")[1]  # another category: not answered here
        assert (x.answerable, x.gold_spans, x.history, x.source) == (False, [], [], "offtopic")
        assert x.id == f"{origin.id}@{x.article_id}"
    assert sum(x.article_id == "bbc-tech-001" for x in made) == 2


def test_off_topic_questions_are_the_same_on_every_run():
    assert off_topic(QUESTIONS, 2, 0) == off_topic(QUESTIONS, 2, 0)
    assert off_topic(QUESTIONS, 0, 0) == []


def test_the_stored_trees_score_as_the_fitted_classifier():
    import numpy as np
    from sklearn.ensemble import HistGradientBoostingClassifier

    from bot.reading.trees import PARAMS, Trees, fit_trees

    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 5))
    y = ((X[:, 0] + X[:, 1] * X[:, 2] + rng.normal(scale=0.5, size=600)) > 0).astype(int)
    X[rng.random(X.shape) < 0.1] = np.nan  # missing values learn a side of their own
    stored = Trees.from_json(fit_trees(X, y, list("abcde"), seed=0).to_json())
    fitted = HistGradientBoostingClassifier(**PARAMS, random_state=0).fit(X, y)
    grid = rng.normal(scale=3.0, size=(300, 5))  # well outside the data too
    grid[rng.random(grid.shape) < 0.1] = np.nan
    grid[rng.random(grid.shape) < 0.05] = np.inf
    grid[rng.random(grid.shape) < 0.05] = -np.inf
    assert np.allclose(stored.proba(grid), fitted.predict_proba(grid)[:, 1], atol=1e-6)


def test_stored_trees_that_point_outside_themselves_are_refused_with_the_fix(tmp_path):
    import json

    import pytest

    from bot.core.errors import ModelError
    from bot.reading.model import WEIGHTS, Models

    d = json.loads(WEIGHTS.read_text())
    d["answerability"]["trees"][0]["left"][0] = 0  # the root pointing at itself: a walk that never ends
    bad = tmp_path / "weights.json"
    bad.write_text(json.dumps(d))
    with pytest.raises(ModelError, match="make train-answerer"):
        Models.load(bad)


def test_training_takes_the_first_n_off_topic_questions_of_each_article_and_scores_the_rest():
    import numpy as np

    from bot.training.stack import Item, train_off_topic

    made = off_topic(QUESTIONS, per_article=2, seed=0)
    items = [Item(x, np.zeros((1, 1)), np.zeros(1, bool)) for x in QUESTIONS + made]
    train_off_topic(items, 1)
    trained = [it.q.id for it in items if it.q.source == "offtopic" and it.trained]
    assert len(trained) == 5 and len({t.split("@")[1] for t in trained}) == 5  # one per article
    assert all(it.trained for it in items if it.q.source != "offtopic")  # written questions always train
    train_off_topic(items, 0)
    assert not any(it.trained for it in items if it.q.source == "offtopic")
