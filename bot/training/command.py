"""`python -m bot train-answerer` (make train-answerer): the command line over
bot.training.train, whose docstring says what training does and what it never reads."""

from __future__ import annotations

import sys
from pathlib import Path

from ..reading import joint
from ..reading.model import WEIGHTS
from . import generated
from .data import TRAINING_FILES
from .train import CORPUS, OFF_TOPIC, PROBE, train
from .train import __doc__ as TRAINING


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(
        prog="python -m bot train-answerer", description=TRAINING, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--eval-dir", type=Path, default=Path("../shared/eval"), help="bbc-train*.jsonl and articles/")
    ap.add_argument(
        "--off-topic", type=int, default=OFF_TOPIC, help=f"off-topic questions trained on per article (0-{PROBE})"
    )
    ap.add_argument("--out", type=Path, default=WEIGHTS)
    ap.add_argument("--joint-out", type=Path, default=joint.WEIGHTS, help="the joint reader's layers")
    ap.add_argument("--cache-dir", type=Path, default=Path(".cache/reader"), help="each stage's cached result")
    ap.add_argument("--levers", action="store_true", help="print what the joint reader's columns add; write nothing")
    ap.add_argument("--corpus", type=Path, default=CORPUS, help="the BBC corpus the generated questions come from")
    ap.add_argument("--no-generated", action="store_true", help="no pre-training on generated questions")
    ap.add_argument("--gaps", action="store_true", help="add answer-cut-out passages (measured, not shipped)")
    ap.add_argument("--siblings", action="store_true", help="add sibling-article negatives (measured, not shipped)")
    ap.add_argument("--refit", action="store_true", help="refit the reader on all articles (measured, not shipped)")
    ap.add_argument(
        "--absent", action="store_true", help="add absent-detail twins to pre-training (measured, not shipped)"
    )
    ap.add_argument(
        "--generated-articles",
        type=int,
        default=generated.GENERATED_ARTICLES,
        help="corpus articles drawn to generate questions from (more: measured, not shipped)",
    )
    ap.add_argument(
        "--negatives",
        type=int,
        default=generated.NEGATIVES,
        help="other passages read with each generated question (fewer: measured, not shipped)",
    )
    args = ap.parse_args(argv)
    if args.generated_articles < 1 or args.negatives < 0:
        print("--generated-articles must be at least 1 and --negatives at least 0", file=sys.stderr)
        return 2
    if not args.no_generated and not any(args.corpus.glob("*/*.txt")):
        print(f"{args.corpus} holds no articles - pass --corpus (the BBC corpus), or --no-generated", file=sys.stderr)
        return 2
    missing = [args.eval_dir / name for name in TRAINING_FILES if not (args.eval_dir / name).is_file()]
    if missing:
        print(f"{missing[0]} is missing - pass --eval-dir (the shared evaluation data)", file=sys.stderr)
        return 2
    if not 0 <= args.off_topic <= PROBE:
        print(f"--off-topic must be between 0 and {PROBE}", file=sys.stderr)
        return 2
    train(
        args.eval_dir,
        args.out,
        args.joint_out,
        args.cache_dir,
        off_topic_n=args.off_topic,
        levers_only=args.levers,
        corpus=None if args.no_generated else args.corpus,
        use_siblings=args.siblings,
        gaps=args.gaps,
        refit=args.refit,
        absent=args.absent,
        generated_articles=args.generated_articles,
        negatives=args.negatives,
    )
    return 0
