"""The learned parts. Two are stored as JSON coefficients (no pickle), beside the joint
reader's changes to the bundled model (`joint.npz`, bot.reading.joint), with a manifest of
what they were made from (checked at load: a stale `weights.json` fails loudly):

- the ranker: P(candidate sentence is a gold sentence), a logistic regression over the
  candidate's features and the joint reader's columns (`RANKED`);
- the answerability model: P(the ranker's top choice is right), gradient-boosted trees over
  the top candidate's features plus the ranker's probabilities and margins (`ANSWER_NAMES`,
  `trees.Trees`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.errors import ModelError
from . import joint, passages
from .features import NAMES, SPAN_NAMES
from .trees import Trees

VERSION = 6  # of the reader's input (features, passages, heads): bump on any change, then retrain
RANKED = list(NAMES) + passages.NAMES + SPAN_NAMES  # the ranker's columns: the features, then the joint reader's
ANSWER_NAMES = ["p_top", "p_margin", "p_second", "p_share", "n_likely"] + [f"top_{n}" for n in RANKED]
WEIGHTS = Path(__file__).resolve().parent / "weights.json"


@dataclass
class Linear:
    """Standardise, then a logistic regression: P = sigmoid(w . (x - mean) / scale + b)."""

    names: list[str]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def decision(self, X: np.ndarray) -> np.ndarray:
        return ((X - self.mean) / self.scale) @ self.coef + self.intercept

    def proba(self, X: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-np.clip(self.decision(X), -30, 30)))

    def to_json(self) -> dict:
        def r(a):
            return [round(float(v), 6) for v in a]

        return {
            "names": self.names,
            "mean": r(self.mean),
            "scale": r(self.scale),
            "coef": r(self.coef),
            "intercept": round(float(self.intercept), 6),
        }

    @staticmethod
    def from_json(d: dict) -> Linear:
        return Linear(
            list(d["names"]), np.array(d["mean"]), np.array(d["scale"]), np.array(d["coef"]), float(d["intercept"])
        )


def fit_linear(
    X: np.ndarray, y: np.ndarray, names: list[str], C: float = 1.0, balanced: bool = False, seed: int = 0
) -> Linear:
    """A scaled L2 logistic regression, returned as plain arrays."""
    from sklearn.linear_model import LogisticRegression

    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale < 1e-9] = 1.0
    lr = LogisticRegression(C=C, max_iter=2000, class_weight="balanced" if balanced else None, random_state=seed)
    lr.fit((X - mean) / scale, y)
    return Linear(names, mean, scale, lr.coef_[0].copy(), float(lr.intercept_[0]))


def answer_features(F: np.ndarray, p: np.ndarray) -> np.ndarray:
    """The answerability row of one question: ranker probabilities and the top's features."""
    order = np.argsort(-p)
    top = int(order[0])
    second = float(p[order[1]]) if len(p) > 1 else 0.0
    logits = np.log(np.clip(p, 1e-6, 1 - 1e-6) / np.clip(1 - p, 1e-6, 1))
    share = float(np.exp(logits[top] - logits.max()) / np.exp(logits - logits.max()).sum())
    head = [float(p[top]), float(p[top]) - second, second, share, float((p > 0.5).sum())]
    return np.concatenate([head, F[top]])


@dataclass
class Models:
    ranker: Linear
    answerability: Trees
    threshold: float  # refuse when P(top is right) < threshold
    joint_reader: joint.JointModel  # its scores are the ranker's last columns

    def save(self, path: Path = WEIGHTS, extra: dict | None = None) -> None:
        d = {
            "ranker": self.ranker.to_json(),
            "answerability": self.answerability.to_json(),
            "threshold": round(self.threshold, 6),
            **(extra or {}),
        }
        Path(path).write_text(json.dumps(d, separators=(",", ":")) + "\n")

    @staticmethod
    def load(path: Path = WEIGHTS, joint_path: Path = joint.WEIGHTS) -> Models:
        try:
            d = json.loads(Path(path).read_text(encoding="utf-8"))
            ranker = Linear.from_json(d["ranker"])
            a = d["answerability"]
            answerability = Trees.from_json(a)
            threshold = float(d["threshold"])
            made = d["manifest"]
            version, joint_sha = made["reader_version"], made["joint_sha256"]
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
            raise ModelError(
                f"Cannot read the answerer's weights {path} ({e!r}) - reinstall, or `make train-answerer`"
            ) from None
        if ranker.names != RANKED or answerability.names != ANSWER_NAMES or version != VERSION:
            raise ModelError(f"{path} was trained with other features - retrain it: `make train-answerer`")
        try:
            stored = hashlib.sha256(Path(joint_path).read_bytes()).hexdigest()
        except OSError as e:
            raise ModelError(f"Cannot read the joint reader's weights {joint_path} ({e}) - reinstall") from None
        if stored != joint_sha:
            raise ModelError(
                f"{joint_path} is not the joint reader {path} was trained with - retrain both: `make train-answerer`"
            )
        return Models(ranker, answerability, threshold, joint.load(joint_path))
