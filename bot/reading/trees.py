"""The answerability model: gradient-boosted trees (scikit-learn's
HistGradientBoostingClassifier), stored as JSON node tables (no pickle) and evaluated here.

Why trees rather than a logistic regression: a linear model extrapolates. Questions about
something else entirely (off-topic) sit far outside the written questions it learns from,
and there its correlated coefficients add up to "answerable" (a question sharing no word
with the article scored 0.60 against a 0.47 threshold). Trees are flat outside the data they
saw. Out of fold on the same folds, both trained with 6 off-topic questions per article
(`python -m bot train-answerer --compare`): off-topic refused 94.2% linear, 96.7% trees;
the written questions overall 57.3% and 59.4%. The off-topic questions cost the written
ones little with trees (59.4% without them or with them) and 2 points with a linear model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PARAMS = {
    "max_iter": 200,
    "learning_rate": 0.05,
    "max_leaf_nodes": 15,
    "min_samples_leaf": 20,
    "l2_regularization": 1.0,
}


@dataclass
class Trees:
    """P = sigmoid(baseline + sum of each tree's leaf value); a node goes left when x <= threshold,
    and a missing value (NaN) the way the tree learned for it, as scikit-learn does."""

    names: list[str]
    baseline: float
    trees: list[dict]  # per tree, parallel lists: feature, threshold, missing_left, left, right, leaf, value

    def decision(self, X: np.ndarray) -> np.ndarray:
        X = np.atleast_2d(X)
        out = np.full(len(X), self.baseline)
        for t in self.trees:
            feature, threshold, missing_left = t["feature"], t["threshold"], t["missing_left"]
            left, right, leaf, value = t["left"], t["right"], t["leaf"], t["value"]
            for r, x in enumerate(X):
                node = 0
                while not leaf[node]:
                    v = x[feature[node]]
                    go_left = missing_left[node] if v != v else v <= threshold[node]  # v != v: NaN
                    node = left[node] if go_left else right[node]
                out[r] += value[node]
        return out

    def proba(self, X: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-np.clip(self.decision(X), -30, 30)))

    def to_json(self) -> dict:
        return {"kind": "trees", "names": self.names, "baseline": self.baseline, "trees": self.trees}

    @staticmethod
    def from_json(d: dict) -> Trees:
        """The stored trees, checked: every inner node's children come after it, so a walk ends."""
        names, trees = list(d["names"]), list(d["trees"])
        for t in trees:
            n = len(t["leaf"])
            if any(len(t[k]) != n for k in ("feature", "threshold", "missing_left", "left", "right", "value")):
                raise ValueError("a tree's node lists differ in length")
            for i in range(n):
                if not t["leaf"][i] and not (
                    i < t["left"][i] < n and i < t["right"][i] < n and 0 <= t["feature"][i] < len(names)
                ):
                    raise ValueError(f"node {i} of a tree points outside it")
        return Trees(names, float(d["baseline"]), trees)


def fit_trees(X: np.ndarray, y: np.ndarray, names: list[str], seed: int = 0) -> Trees:
    """Fit the classifier, then keep its trees as plain lists (from its fitted predictors,
    attributes scikit-learn keeps private: the test against predict_proba guards an upgrade)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    model = HistGradientBoostingClassifier(**PARAMS, random_state=seed).fit(X, y)
    trees = []
    for (predictor,) in model._predictors:  # one tree per iteration for two classes
        n = predictor.nodes
        trees.append(
            {
                "feature": [int(v) for v in n["feature_idx"]],
                "threshold": [float(v) for v in n["num_threshold"]],
                "missing_left": [bool(v) for v in n["missing_go_to_left"]],
                "left": [int(v) for v in n["left"]],
                "right": [int(v) for v in n["right"]],
                "leaf": [bool(v) for v in n["is_leaf"]],
                "value": [round(float(v), 8) for v in n["value"]],
            }
        )
    return Trees(names, float(np.ravel(model._baseline_prediction)[0]), trees)
