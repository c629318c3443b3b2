"""Training data the reader learns from: the off-topic refusals made from written questions."""

from __future__ import annotations

import numpy as np
import pytest

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


def test_a_generated_question_asks_for_the_entity_it_leaves_out():
    from bot.text import nlp
    from bot.training.generated import answer_tokens, question_for

    doc = nlp.load()("The firm said profits rose to $1.13bn in 2004, helped by strong sales in Asia.")
    money = next(e for e in doc.ents if e.label_ == "MONEY")
    assert answer_tokens(doc, money).text == "$1.13bn"  # the currency sign spaCy leaves outside
    question = question_for(doc, money)
    assert question is not None and question.startswith("How much ") and question.endswith("?")
    assert "1.13bn" not in question and "$" not in question and "2004" in question
    date = next(e for e in doc.ents if e.label_ == "DATE")
    asked = question_for(doc, date)
    assert asked is not None and asked.startswith("When ") and "2004" not in asked and " in ?" not in asked


def test_an_absent_detail_twin_keeps_its_clause_and_asks_for_a_kind_the_passage_lacks():
    from bot.text import nlp
    from bot.training.generated import absent_kinds, question_for

    doc = nlp.load()("The firm said profits rose to $1.13bn in 2004, helped by strong sales.")
    money = next(e for e in doc.ents if e.label_ == "MONEY")
    lacking = absent_kinds([doc])
    assert "Where" in lacking and "Who" in lacking  # no place, person or organisation here
    assert "When" not in lacking and "How much" not in lacking and "How many" not in lacking  # 2004, $1.13bn
    asked = question_for(doc, money, keep=True, wh="Where")
    assert asked is not None and asked.startswith("Where ") and "$1.13bn" in asked and "2004" in asked
    long = nlp.load()(
        "The firm said profits rose to $1.13bn in 2004, helped by strong sales of its phones, its laptops, "
        "its tablets and the many other devices it makes in its factories across the rest of the world."
    )
    assert question_for(long, next(e for e in long.ents if e.label_ == "MONEY"), keep=True, wh="Where") is None


def tiny_corpus(tmp_path, sections, numbers):
    """A corpus of one-line articles per section and number, and an empty eval folder."""
    corpus, eval_dir = tmp_path / "corpus", tmp_path / "eval"
    (eval_dir / "articles").mkdir(parents=True)
    for section in sections:
        (corpus / section).mkdir(parents=True)
        for n in numbers:
            (corpus / section / f"{n:03d}.txt").write_text(f"{section} story {n}\n\nBody {n}.", encoding="utf-8")
    return corpus, eval_dir


def test_generation_never_reads_a_written_sets_or_a_blind_sets_article(tmp_path):
    from bot.training.generated import HELD_OUT, HELD_OUT_AFTER_DRAW, corpus_articles

    corpus, eval_dir = tiny_corpus(tmp_path, ("business", "sport"), range(1, 40))
    (eval_dir / "articles" / "bbc-sport-007.txt").write_text("sport story 7\n\nBody 7.", encoding="utf-8")
    blind = HELD_OUT | HELD_OUT_AFTER_DRAW
    held = sorted(h for h in blind if h.startswith(("business/0", "sport/0")) and int(h[-3:]) < 40)
    chosen = {f"{p.parent.name}/{p.stem}" for p in corpus_articles(corpus, eval_dir, n=1000)}
    assert "sport/007" not in chosen  # its text is a written set's article
    assert not chosen & set(held)
    assert len(chosen) == 78 - 1 - len(held)


def test_a_question_moves_to_its_articles_sibling_as_unanswerable_only_when_the_sibling_never_gives_the_answer():
    from bot.text.article import Article
    from bot.training.siblings import nearest, sibling_questions

    def art(aid, text):
        return Article(id=aid, title=text.split("\n")[0], text=text, paragraphs=())

    story = "Storm floods the harbour town\n\nThe storm flooded the harbour town of Port Ellis on Monday, and the mayor Jo Venn ordered an evacuation of the quay."
    sibling = "Harbour town storm clean-up begins\n\nVolunteers began the clean-up of the harbour town of Port Ellis after the storm."
    rewrite = story + " "  # a re-edit of the same text: not a sibling
    others = [
        "Quay closed\n\nThe mayor closed the quay on Monday.",
        "Evacuation\n\nAn evacuation was ordered by the mayor of the quay.",
        "Roads shut\n\nFlooded roads shut on Monday after an evacuation.",
        "Bakery\n\nThe bakery flooded again.",
        "Volunteers\n\nVolunteers began a clean-up of the park.",
    ]
    candidates = [art("sib", sibling), art("same", rewrite), *(art(f"x{i}", t) for i, t in enumerate(others))]
    found = nearest({"story": art("story", story)}, candidates, k=1)
    assert [a.id for a in found["story"]] == ["sib"]
    assert "same" not in [a.id for a in nearest({"story": art("story", story)}, candidates, k=10)["story"]]
    questions = [
        Question("q1", "story", "Who ordered the evacuation?", True, [(0, 5)], references=["Jo Venn"]),
        Question(
            "q2", "story", "Which town flooded?", True, [(0, 5)], references=["Port Ellis"]
        ),  # the sibling says it
        Question("q3", "story", "Why?", True, [(0, 5)], history=[{"role": "user", "content": "x"}], references=["a"]),
        Question("q4", "story", "What did it cost?", False),
    ]
    made = sibling_questions(questions, found)
    assert [(q.id, q.article_id, q.text, q.answerable, q.source) for q in made] == [
        ("q1@sib", "sib", "Who ordered the evacuation?", False, "sibling")
    ]


def test_siblings_and_generated_articles_never_include_a_blind_sets_article(tmp_path):
    from bot.training.generated import HELD_OUT_AFTER_DRAW, held_out
    from bot.training.siblings import corpus_candidates

    corpus, eval_dir = tmp_path / "corpus", tmp_path / "eval"
    (eval_dir / "articles").mkdir(parents=True)
    for key in ["business/478", "business/477", "tech/082", "tech/081"]:
        section, n = key.split("/")
        (corpus / section).mkdir(parents=True, exist_ok=True)
        (corpus / section / f"{n}.txt").write_text(f"{key} story\n\nBody of {key}.", encoding="utf-8")
    assert {"business/478", "tech/082"} <= HELD_OUT_AFTER_DRAW
    assert held_out(corpus / "business" / "478.txt") and not held_out(corpus / "business" / "477.txt")
    assert [a.id for a in corpus_candidates(corpus, eval_dir)] == ["corpus-business-477", "corpus-tech-081"]


def test_the_answer_cut_out_passage_keeps_its_neighbours_and_never_the_answer():
    from bot.text.nlp import Sentence
    from bot.training import joint as jt

    texts = ["Rates rose again.", "The bank said profits reached £5m.", "Shares fell 2%.", "Staff were told."]
    sents = [Sentence(k, 0, 0, t, 1, False) for k, t in enumerate(texts)]
    assert jt.gap(sents, {1}, ["£5m"]) == "Rates rose again. Shares fell 2%."
    assert jt.gap(sents, {1, 2}, ["£5m"]) == "Rates rose again."  # every answer sentence goes
    assert jt.gap(sents, {2}, ["profits"]) is None  # the answer still shows in a neighbour
    assert jt.gap(sents, set(), ["£5m"]) is None
    p = jt.Pairs("a", "How much did profits reach?", ["x"], np.array([1.0]), [(1, 2)], True)
    more = jt.with_gap(p, "Rates rose again.")
    assert more.texts == ["x", "Rates rose again."] and more.spans == [(1, 2), jt.NULL]
    assert more.gold.tolist() == [1.0, 0.0] and jt.with_gap(p, None) is p


@pytest.mark.parametrize("native", [True, False])
def test_training_runs_in_bf16_only_where_the_cpu_computes_it_and_caches_each_apart(monkeypatch, native):
    """Emulated bf16 was measured 25x slower a step than float32 on a CPU without it."""
    import torch

    from bot.reading import joint
    from bot.training import joint as jt

    monkeypatch.setattr(joint, "fast_bf16", lambda: native)
    pair = jt.Pairs(
        "a", "Who leads the exchange?", ["Clara Furse leads the exchange."], np.array([1.0]), [jt.NULL], True
    )
    seen = []
    hook = torch.nn.modules.module.register_module_forward_hook(
        lambda m, i, out: seen.append(out.dtype) if isinstance(m, torch.nn.Linear) else None
    )
    try:
        model = jt.fit([pair], epochs=1, log=lambda *_: None)
    finally:
        hook.remove()
    assert model.bf16 is native
    assert set(seen) == {torch.bfloat16 if native else torch.float32}
    other = not native
    key = jt._key([pair], [])
    monkeypatch.setattr(joint, "fast_bf16", lambda: other)
    assert jt._key([pair], []) != key  # a float32 run never reuses a bf16 run's cache


def test_absent_detail_twins_only_add_questions_and_each_reads_its_own_passage():
    """Off, generation draws what it drew before the twins existed; on, the other questions
    and swapped twins stay the same and each new twin asks a kind its one passage lacks."""
    from types import SimpleNamespace

    from bot.text import nlp
    from bot.text.nlp import Sentence
    from bot.training.generated import absent_kinds, generate, pairs

    texts = [
        "The firm said profits rose to $1.13bn in 2004, helped by strong sales.",
        "Analysts at Barclays had expected a smaller rise in the firm's profits.",
        "The chief executive, John Smith, said 300 new jobs would be created next year.",
        "Sales of its phones grew by 12% while sales of its laptops fell.",
    ]
    parsed = list(nlp.load().pipe(texts))
    articles, analyses = [], {}
    for n in range(3):
        sents, at = [], 0
        for k, t in enumerate(texts):
            sents.append(Sentence(k, at, at + len(t), t, k, False))
            at += len(t) + 1
        art = SimpleNamespace(id=f"a{n}", text=" ".join(texts))
        articles.append(art)
        analyses[art.id] = SimpleNamespace(sentences=sents)
    for seed in (0, 1, 2):
        off = generate(articles, analyses, seed)
        on = generate(articles, analyses, seed, absent=True)
        assert not any(g.absent for g in off)
        assert [g for g in on if not g.absent] == off
        twins = [g for g in on if g.absent]
        assert all(g.answer is None for g in twins)
        assert len({(g.article_id, g.question) for g in twins}) == len(twins)
        for made, g in zip(pairs(twins, analyses), twins):
            assert len(made.texts) == 1 and not made.gold.any()  # its own passage, as "no answer"
            words = g.question.split()
            asked = " ".join(words[:2]) if words[0] == "How" else words[0]
            passage = [doc for t, doc in zip(texts, parsed) if t in made.texts[0]]  # parsed as generation does
            assert asked in absent_kinds(passage)
    assert any(g.absent for seed in (0, 1, 2) for g in generate(articles, analyses, seed, absent=True))


def test_a_larger_draw_keeps_every_article_of_a_smaller_one(tmp_path):
    """`--generated-articles` draws more articles without changing which the default draws."""
    from bot.training.generated import corpus_articles

    corpus, eval_dir = tiny_corpus(tmp_path, ("business", "tech"), range(100, 400))
    small, large = corpus_articles(corpus, eval_dir, n=100), corpus_articles(corpus, eval_dir, n=300)
    assert len(small) < len(large)
    assert set(small) <= set(large)


def test_each_generated_question_reads_its_source_passage_and_the_negatives_asked_for():
    from types import SimpleNamespace

    from bot.text.nlp import Sentence
    from bot.training.generated import Generated, pairs

    texts = [f"Sentence {k} says the firm made {k} million pounds in 200{k}." for k in range(8)]
    sents, at = [], 0
    for k, t in enumerate(texts):
        sents.append(Sentence(k, at, at + len(t), t, k, False))
        at += len(t) + 1
    analyses = {"a": SimpleNamespace(sentences=sents)}
    asked = [Generated("a", "How much the firm made in 2004?", 4, "4 million pounds"), Generated("a", "x?", 2, None)]
    for negatives in (0, 1, 2, 3):
        for made, g in zip(pairs(asked, analyses, negatives=negatives), asked):
            assert len(made.texts) == 1 + negatives
            assert texts[g.sentence] in made.texts[0]
            assert not any(texts[g.sentence] in t for t in made.texts[1:])
            assert made.gold.tolist() == [g.answer is not None] + [False] * negatives


@pytest.mark.parametrize("option", [["--generated-articles", "0"], ["--negatives", "-1"]])
def test_train_answerer_refuses_an_empty_draw_or_negative_negatives_with_the_fix(option, capsys):
    from bot.training.command import main

    assert main(option) == 2
    assert "--generated-articles must be at least 1 and --negatives at least 0" in capsys.readouterr().err
