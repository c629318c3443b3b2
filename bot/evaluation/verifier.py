"""How well the citation verifier (bot.llm.verify.unsupported) tells a claim its passage
supports from one it does not, measured on written claims.

    python -m bot eval-verifier                     (make eval-verifier)

`tests/eval/verifier-claims.jsonl`: 240 claims over 60 passages of bbc-dev's articles,
written by a writer who saw only the articles: per passage, one close restatement and one
paraphrase that the passage supports, and two unsupported ones of five kinds (negation,
swapped roles, changed unit or number, an appended invented clause, a swapped name or
date). The passages are read from the articles by their character span (the articles stay
in ../shared/eval). The verifier removes a claim when `unsupported` gives a reason:
precision is the share of removed claims that were unsupported, recall the share of
unsupported claims removed, per kind too; `kept` is the share of supported claims kept.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

CLAIMS = Path(__file__).resolve().parents[2] / "tests" / "eval" / "verifier-claims.jsonl"
KINDS = ("negation", "roles", "units", "appended", "entity")


def load_claims(path: Path, articles_dir: Path) -> list[dict]:
    rows = []
    texts: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        aid = r["article_id"]
        if aid not in texts:
            f = articles_dir / f"{aid}.txt"
            if not f.is_file():
                raise FileNotFoundError(
                    f"{f} is missing - pass --articles (bbc-dev's articles, ../shared/eval/articles)"
                )
            texts[aid] = f.read_text(encoding="utf-8")
        a, b = r["passage_span"]
        rows.append(r | {"passage": texts[aid][a:b]})
    return rows


def measure(rows: list[dict]) -> dict:
    """The verifier's verdict on each claim, and the figures."""
    from ..llm.verify import unsupported

    for r in rows:
        r["removed"] = unsupported(r["claim"], [r["passage"]]) is not None
    bad = [r for r in rows if r["label"] == "unsupported"]
    good = [r for r in rows if r["label"] == "supported"]
    removed = [r for r in rows if r["removed"]]
    figures = {
        "claims": len(rows),
        "precision": sum(r["label"] == "unsupported" for r in removed) / len(removed) if removed else 0.0,
        "recall": sum(r["removed"] for r in bad) / len(bad) if bad else 0.0,
        "kept": sum(not r["removed"] for r in good) / len(good) if good else 0.0,
    }
    for kind in KINDS:
        of = [r for r in bad if r["kind"] == kind]
        figures[f"recall_{kind}"] = sum(r["removed"] for r in of) / len(of) if of else 0.0
    for kind in ("restate", "paraphrase"):
        of = [r for r in good if r["kind"] == kind]
        figures[f"kept_{kind}"] = sum(not r["removed"] for r in of) / len(of) if of else 0.0
    return figures


FIGURES = ("precision", "recall", "kept", *(f"recall_{k}" for k in KINDS), "kept_restate", "kept_paraphrase")


def parse_floors(spec: str) -> dict[str, float]:
    """'precision=0.9,recall=0.6' -> {'precision': 0.9, 'recall': 0.6}; a bad part is a ValueError."""
    floors = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, _, raw = part.partition("=")
        if name.strip() not in FIGURES:
            raise ValueError(f"--fail-under: unknown figure {name!r} - use one of: {', '.join(FIGURES)}")
        try:
            floors[name.strip()] = float(raw)
        except ValueError:
            raise ValueError(f"--fail-under {part!r} is not name=number - write it like recall=0.6") from None
    return floors


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m bot eval-verifier", description=__doc__.split("\n\n")[0])
    ap.add_argument("--claims", type=Path, default=CLAIMS)
    ap.add_argument("--articles", type=Path, default=Path("../shared/eval/articles"))
    ap.add_argument("--fail-under", default="", help="gates such as precision=0.9,recall=0.6,kept=0.9")
    ap.add_argument("--show", choices=("missed", "wrongly-removed"), help="print those claims")
    args = ap.parse_args(argv)
    try:
        gates = parse_floors(args.fail_under)
        rows = load_claims(args.claims, args.articles)
    except (OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    figures = measure(rows)
    print(f"{'figure':<22} value")
    for k, v in figures.items():
        print(f"{k:<22} {v if k == 'claims' else f'{v:.1%}'}")
    if args.show:
        want = "unsupported" if args.show == "missed" else "supported"
        for r in rows:
            if r["label"] == want and r["removed"] == (args.show == "wrongly-removed"):
                print(f"- [{r['kind']}] {r['claim']}\n    passage: {r['passage']}")
    failed = [f"{k} {figures.get(k, 0.0):.3f} < {v}" for k, v in gates.items() if figures.get(k, 0.0) < v]
    for f in failed:
        print(f"gate failed: {f}", file=sys.stderr)
    return 1 if failed else 0
