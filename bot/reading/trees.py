"""The answerability model: gradient-boosted trees (scikit-learn's
HistGradientBoostingClassifier), stored as JSON node tables (no pickle) and evaluated here.

Why trees rather than a logistic regression: a linear model extrapolates. Questions about
something else entirely (off-topic) sit far outside the written questions it learns from,
and there its correlated coefficients add up to "answerable" (a question sharing no word
with the article scored 0.60 against a 0.47 threshold). Trees are flat outside the data they
saw. Measured by grouped cross-validation on the training sets (`make train-answerer`),
off-topic questions refused: 85% with a logistic regression, 97% with trees, with the
written questions' figures no worse (docs/reader.md).
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
    """P = sigmoid(baseline + sum of each tree's leaf value); a node goes left when x <= threshold."""

    names: list[str]
    baseline: float
    trees: list[dict]  # per tree, parallel lists: feature, threshold, left, right, leaf, value

    def decision(self, X: np.ndarray) -> np.ndarray:
        X = np.atleast_2d(X)
        out = np.full(len(X), self.baseline)
        for t in self.trees:
            feature, threshold, left, right, leaf, value = (
                t["feature"],
                t["threshold"],
                t["left"],
                t["right"],
                t["leaf"],
                t["value"],
            )
            for r, x in enumerate(X):
                node = 0
                while not leaf[node]:
                    node = left[node] if x[feature[node]] <= threshold[node] else right[node]
                out[r] += value[node]
        return out

    def proba(self, X: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-np.clip(self.decision(X), -30, 30)))

    def to_json(self) -> dict:
        return {"kind": "trees", "names": self.names, "baseline": self.baseline, "trees": self.trees}

    @staticmethod
    def from_json(d: dict) -> Trees:
        return Trees(list(d["names"]), float(d["baseline"]), list(d["trees"]))


def fit_trees(X: np.ndarray, y: np.ndarray, names: list[str], seed: int = 0) -> Trees:
    """Fit the classifier, then keep its trees as plain lists."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    model = HistGradientBoostingClassifier(**PARAMS, random_state=seed).fit(X, y)
    trees = []
    for (predictor,) in model._predictors:  # one tree per iteration for two classes
        n = predictor.nodes
        trees.append(
            {
                "feature": [int(v) for v in n["feature_idx"]],
                "threshold": [float(v) for v in n["num_threshold"]],
                "left": [int(v) for v in n["left"]],
                "right": [int(v) for v in n["right"]],
                "leaf": [bool(v) for v in n["is_leaf"]],
                "value": [round(float(v), 8) for v in n["value"]],
            }
        )
    return Trees(names, float(np.ravel(model._baseline_prediction)[0]), trees)
