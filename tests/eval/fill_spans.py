"""Fill `reference_spans` (and `alt_reference_spans`) of a dataset from its quoted
`reference_contexts` (and `alt_reference_contexts`), each line in the text of its
`article_id` (a single-article folder needs none); run it after editing the dataset.

    python tests/eval/fill_spans.py tests/eval/article.jsonl
    python tests/eval/fill_spans.py ../shared/eval/bbc-dev.jsonl --articles ../shared/eval/articles --out bbc-dev.spans.jsonl

The eval locates spans itself when a line has contexts and no spans; filled spans pin
them, so later edits of an article show up as spans that no longer fit.
"""

import argparse
import json
import sys
from pathlib import Path

from bot.core.settings import Settings
from bot.evaluation.dataset import fill_spans
from bot.text.article import load_articles


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dataset")
    parser.add_argument("--articles", help="the articles folder (default: BOT_ARTICLES_DIR or index/articles)")
    parser.add_argument("--out", help="write here instead of rewriting the dataset")
    args = parser.parse_args(argv)
    folder = Path(args.articles) if args.articles else Settings.from_env().articles_dir
    texts = {a.id: a.text for a in load_articles(folder)}
    out, missing = [], []
    for line in Path(args.dataset).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        obj = json.loads(line)
        missing += fill_spans(obj, texts)
        out.append(json.dumps(obj, ensure_ascii=False))
    for m in missing:
        print(m, file=sys.stderr)
    Path(args.out or args.dataset).write_text("\n".join(out) + "\n", encoding="utf-8")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
