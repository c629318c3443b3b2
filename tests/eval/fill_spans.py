"""Fill `reference_spans` (and `alt_reference_spans`) of a dataset from its quoted
`reference_contexts` (and `alt_reference_contexts`); run it after editing the dataset.

    python tests/eval/fill_spans.py tests/eval/article.jsonl
"""

import json
import sys
from pathlib import Path

from bot.core.settings import Settings
from bot.evaluation.dataset import locate
from bot.text.article import load_articles


def main(path: str) -> int:
    text = load_articles(Settings.from_env().articles_dir)[0].text
    out, missing = [], 0
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        obj = json.loads(line)
        for key in ("reference", "alt_reference"):
            if key == "reference" or obj.get(f"{key}_contexts"):
                spans = []
                for ctx in obj.get(f"{key}_contexts") or []:
                    span = locate(ctx, text)
                    if span is None:
                        print(f"{obj['id']}: context not found: {ctx[:60]!r}", file=sys.stderr)
                        missing += 1
                    else:
                        spans.append(list(span))
                obj[f"{key}_spans"] = spans
        out.append(json.dumps(obj, ensure_ascii=False))
    Path(path).write_text("\n".join(out) + "\n", encoding="utf-8")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
