"""The BBC corpus as one archive folder: `python -m benchmarks.bbc_archive CORPUS OUT`.

The corpus (../shared/corpora/bbc, 2,225 articles) keeps one folder per section and
numbers its files within each; the evaluation sets name an article `bbc-<section>-<number>`.
This writes every article to OUT as `bbc-<section>-<number>.txt`, so an archive evaluation
(`bot eval bbc-dev.jsonl --archive` with BOT_ARTICLES_DIR=OUT) finds the sets' articles
among all the others under the ids the sets use. OUT must lie outside the repository (the
corpus is not to be copied into it). Files already in place are left alone.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def flatten(corpus: Path, out: Path) -> int:
    """Copy the corpus's articles into `out` under the evaluation sets' ids; how many."""
    out.mkdir(parents=True, exist_ok=True)
    n = 0
    for section in sorted(p for p in corpus.iterdir() if p.is_dir()):
        for src in sorted(section.glob("*.txt")):
            dst = out / f"bbc-{section.name}-{src.stem}.txt"
            if not dst.is_file():
                shutil.copyfile(src, dst)
            n += 1
    return n


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m benchmarks.bbc_archive CORPUS_DIR OUT_DIR", file=sys.stderr)
        return 2
    corpus, out = Path(args[0]), Path(args[1])
    if not corpus.is_dir():
        print(f"{corpus} is not a folder - give the BBC corpus folder (../shared/corpora/bbc)", file=sys.stderr)
        return 2
    if out.resolve().is_relative_to(ROOT):
        print(f"{out} is inside the repository - give a folder outside it (the corpus stays out)", file=sys.stderr)
        return 2
    print(f"{flatten(corpus, out)} articles in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
