"""The command line: a thin edge over `ArticleQA` and the `Answer` contract.

    python -m bot ask "What is the range of a Tomahawk missile?" [--json]
    python -m bot ask --batch questions.jsonl [--out answers.jsonl]
    python -m bot chat [--article ID] [--json]      (a conversation, with follow-ups)
    python -m bot index [--rebuild]
    python -m bot add PATH_OR_URL… [--no-index]
    python -m bot remove ID…
    python -m bot bench [--scale [--sizes 1,100,1000] [--modes embedded,server]]
    python -m bot bench --corpus ../shared/corpora/bbc [--clients 8]   (a real archive)
    python -m bot eval tests/eval/article.jsonl
    python -m bot eval ../shared/eval/bbc-dev.jsonl --articles ../shared/eval/articles
    python -m bot eval ../shared/eval/squad2-normans.json

Errors print one line naming the fix and exit non-zero (2 for usage errors).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
from pathlib import Path
from typing import Any

from ..core.errors import BotError, UsageError
from ..core.secrets import RedactingStream


class _Parser(argparse.ArgumentParser):
    commands: dict[str, Any]  # name -> its parser (set on the top-level parser)

    def error(self, message):  # exit 2 with one line, like every other usage error
        # SystemExit("text") would exit 1, and the usage block made it several lines.
        command = " ".join(["python -m bot", *self.prog.split()[1:], "--help"])  # prog: "bot" or "bot ask"
        print(f"error: {message} - see `{command}`", file=sys.stderr)
        raise SystemExit(2)


def _limit(text: str) -> float:
    """A gate's limit: a finite number, at least 0 ('nan' would let every run pass)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a finite number, 0 or more")
    return value


def build_parser() -> _Parser:
    parser = _Parser(prog="bot", description="Ask questions about a news article, with cited answers.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    ask = sub.add_parser("ask", help="answer a question (or a batch of them)")
    ask.add_argument("question", nargs="?", help="the question, in quotes")
    ask.add_argument("--json", action="store_true", help="print the Answer as JSON")
    ask.add_argument("--batch", metavar="IN.jsonl", help='answer {"id", "user_input", "history"} lines')
    ask.add_argument("--out", metavar="OUT.jsonl", help="where batch answers go (default: standard output)")
    ask.add_argument("--article", metavar="ID", help="only search this article (its file name without .txt)")

    chat = sub.add_parser("chat", help="a conversation in the terminal, with follow-ups (exit, quit or Ctrl-D ends it)")
    chat.add_argument("--json", action="store_true", help="print each Answer as one JSON line")
    chat.add_argument("--article", metavar="ID", help="only search this article (its file name without .txt)")

    index = sub.add_parser("index", help="build the index if it is missing or stale")
    index.add_argument("--rebuild", action="store_true", help="build it again from scratch")

    add = sub.add_parser("add", help="add articles: .txt, Markdown or HTML files, folders of them, or http(s) URLs")
    add.add_argument("sources", nargs="+", metavar="PATH_OR_URL")
    add.add_argument("--no-index", action="store_true", help="only write the articles; index on the next question")
    add.add_argument("--replace", action="store_true", help="replace an article whose id another source has taken")
    remove = sub.add_parser("remove", help="remove articles by id (their file names without .txt)")
    remove.add_argument("ids", nargs="+", metavar="ID")
    remove.add_argument("--no-index", action="store_true", help="only delete the files; index on the next question")

    bench = sub.add_parser("bench", help="measure speed against floors measured in the same run")
    bench.add_argument(
        "--repeat",
        type=int,
        default=30,
        help="timings of the floor and of a warm answer: at least one per question (default 30)",
    )
    bench.add_argument("--scale", action="store_true", help="index synthetic archives of growing size instead")
    bench.add_argument(
        "--sizes", default="1,100,1000", help="with --scale: article counts; 1 is always added (default 1,100,1000)"
    )
    bench.add_argument("--modes", default="embedded,server", help="with --scale or --corpus: embedded, server or both")
    bench.add_argument(
        "--corpus",
        metavar="DIR",
        help="index a real archive instead (the BBC corpus: one folder per section) and ask it --questions",
    )
    bench.add_argument(
        "--questions",
        default="../shared/eval/bbc-dev.jsonl",
        help="with --corpus: the evaluation set asked (default ../shared/eval/bbc-dev.jsonl)",
    )
    bench.add_argument(
        "--clients", type=int, default=8, help="with --corpus: concurrent HTTP clients of a served app (0: none)"
    )

    sub.add_parser("train-answerer", help="train the reader's ranker and refusal (see --help)", add_help=False)
    ev = sub.add_parser("eval", help="evaluate answer quality on a dataset")
    ev.add_argument("dataset", help="JSON-lines dataset (e.g. tests/eval/article.jsonl) or SQuAD 2.0 JSON")
    ev.add_argument(
        "--articles",
        metavar="DIR",
        help="the articles folder of the dataset (default: BOT_ARTICLES_DIR); another folder than the "
        "configured one is indexed into a temporary store",
    )
    ev.add_argument(
        "--archive",
        action="store_true",
        help="ask every question of all the indexed articles at once, as 'All articles' does, and score "
        "which article answered (article_hit@1)",
    )
    ev.add_argument("--out", help="output folder (default: a new folder under eval-runs/)")
    ev.add_argument("--fail-under", default="", help="gates such as recall@5=0.95,citation_precision=0.9")
    ev.add_argument(
        "--max-p95-x",
        type=_limit,
        help="fail when total p95 latency exceeds this multiple of its floor's p95 (one query embedding, "
        "timed beside each question)",
    )
    ev.add_argument("--baseline", help="an earlier summary.json to compare with")
    ev.add_argument("--max-drop", type=_limit, help="fail when a metric drops more than this below the baseline")
    ev.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    parser.commands = sub.choices  # name -> its parser
    return parser


def _show_warnings() -> logging.Handler:
    """The bot's warnings (an article file skipped, a model that failed) as one
    'warning: …' line each on standard error, each said once."""
    seen: set[str] = set()

    def once(record: logging.LogRecord) -> bool:
        message = record.getMessage()
        new = record.levelno >= logging.WARNING and message not in seen
        seen.add(message)
        return new

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("warning: %(message)s"))
    handler.addFilter(once)
    logging.getLogger("bot").addHandler(handler)
    return handler


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["train-answerer"]:  # its own options (bot.training.command)
        from ..training.command import main as train_main

        return train_main(argv[1:])
    if argv[:1] == ["eval-verifier"]:  # its own options (bot.evaluation.verifier)
        from ..evaluation.verifier import main as verifier_main

        return verifier_main(argv[1:])
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # named by the command they were given to, whose --help lists what it takes
        parser.commands[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = RedactingStream(sys.stdout), RedactingStream(sys.stderr)
    handler = _show_warnings()
    try:
        if args.command == "ask":
            return _ask(args)
        if args.command == "chat":
            return _chat(args)
        if args.command == "index":
            return _index(args)
        if args.command in ("add", "remove"):
            return _add_or_remove(args)
        if args.command == "bench" and args.corpus:
            from benchmarks.corpus import run_corpus

            modes = [m.strip() for m in args.modes.split(",") if m.strip()]
            return run_corpus(Path(args.corpus), Path(args.questions), modes, args.clients)
        if args.command == "bench" and args.scale:
            from benchmarks.scale import run_cli as run_scale  # the benchmarks live beside the package

            return run_scale(args)
        if args.command == "bench":
            from benchmarks.bench import run_bench

            return run_bench(repeat=args.repeat)
        if args.command == "eval":
            from .eval_command import run_cli

            return run_cli(args)
    except BotError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception:  # a bug: its trace, through the redacting stream, and a failure exit
        import traceback

        traceback.print_exc(file=sys.stderr)
        return 1
    finally:
        logging.getLogger("bot").removeHandler(handler)
        sys.stdout, sys.stderr = streams
    return 0


def _add_or_remove(args) -> int:
    """`python -m bot add …` / `python -m bot remove …`: one line per source, then re-index."""
    from ..answering.backends import answerer_for
    from ..core.settings import Settings
    from ..ingest.sources import add, remove

    settings = Settings.from_env()
    answerer_for(settings)  # a bad BOT_LLM is reported before any file changes
    if args.command == "add":
        outcomes = add(args.sources, settings.articles_dir, replace=args.replace)
    else:
        outcomes = remove(args.ids, settings.articles_dir)
    for o in outcomes:
        print(o.line)
    changed = any(o.status in ("added", "replaced", "removed") for o in outcomes)
    if changed and not args.no_index:
        if not any(settings.articles_dir.glob("*.txt")):
            print(f"{settings.articles_dir} has no articles left - add one before asking questions")
        else:
            from ..answering.pipeline import ArticleQA

            index = ArticleQA(settings).index()
            print(f"Index ready: {len(index.articles)} article(s), {len(index.chunks)} passages")
    return 1 if any(o.status == "refused" for o in outcomes) else 0


def _index(args) -> int:
    from ..answering.pipeline import ArticleQA
    from ..core.secrets import redact

    qa = ArticleQA()
    index = qa.index(rebuild=args.rebuild)
    where = redact(qa.settings.chroma_url) or qa.settings.index_dir
    print(
        f"Index ready at {where}: {len(index.articles)} article(s), {len(index.chunks)} passages ({index.fingerprint[:12]})"
    )
    return 0


def _ask(args) -> int:
    from ..answering.pipeline import ArticleQA

    if args.batch and args.question:
        raise UsageError("Give either a question or --batch FILE, not both")
    if not args.batch and args.question is None:
        raise UsageError(
            'No question given - run `python -m bot ask "your question"` or `python -m bot ask --batch in.jsonl`'
        )
    if args.out and not args.batch:
        raise UsageError("--out goes with --batch - add --batch IN.jsonl, or drop --out")
    qa = ArticleQA()
    if args.batch:
        from .batch import answer_batch

        return answer_batch(qa, args.batch, args.out, article_id=args.article)
    from ..answering.guards import check_question
    from .chat import load, render_text

    check_question(args.question)  # a bad question is told at once, before anything loads
    load_ms = load(qa)  # the model and index: start-up, reported apart from the question's own stages
    answer = qa.ask(args.question, article_id=args.article)
    if args.json:
        print(json.dumps(answer.to_dict() | {"load_ms": round(load_ms, 2)}, ensure_ascii=False, indent=2))
    else:
        print(render_text(answer))
    return 0


def _chat(args) -> int:
    """`python -m bot chat`: the model and index load once, then question after question
    (bot.app.chat)."""
    from ..answering.pipeline import ArticleQA
    from .chat import run_chat

    return run_chat(ArticleQA(), article_id=args.article, as_json=args.json)
