"""SQuAD 2.0 JSON as evaluation data, and SQuAD's official v2 figures.

Each title is one article: its title on the first line, then its paragraphs separated by
blank lines. The gold spans are mapped into the cleaned article text the index holds
(`bot.text.article.parse_article`), so retrieval and citations are scored like any
dataset's. The figures are those of the official evaluation script (v2.0): EM and F1 over
all questions, over the answerable (HasAns) and unanswerable (NoAns) ones, and the best
no-answer threshold for each; in percent, as the script prints them.
"""

from __future__ import annotations

import collections
import json
import re
import string
from pathlib import Path

from ..text.article import clean_line, parse_article
from .dataset import locate


def is_squad(path: Path) -> bool:
    """Is the file SQuAD JSON (one JSON object with a top-level "data" list)? Decided by
    content, not by name; a JSON-lines file is not one JSON document, so it is not SQuAD."""
    try:
        obj = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(obj, dict) and isinstance(obj.get("data"), list)


def slug(title: str) -> str:
    """'Normans' -> 'squad-normans'.

    >>> slug("Super_Bowl 50")
    'squad-super-bowl-50'
    """
    return "squad-" + (re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "article")


def _answer_span(text: str, context: str, start: int, answer: str) -> tuple[int, int] | None:
    """The answer's span in the cleaned article text: the paragraph located in the text,
    then the occurrence of the answer nearest its offset in the paragraph."""
    para = locate(clean_line(context), text)
    wanted = clean_line(answer)
    if para is None or not wanted:
        return None
    expected = para[0] + len(clean_line(context[:start] + "x")) - 1
    hits = [para[0] + m.start() for m in re.finditer(re.escape(wanted), text[para[0] : para[1]])]
    if not hits:
        return None
    best = min(hits, key=lambda h: abs(h - expected))
    return best, best + len(wanted)


def read_squad(path: Path) -> tuple[dict[str, str], list[dict]]:
    """(article files' text by article id, dataset lines) of a SQuAD 2.0 JSON file.

    A line is in the project's dataset format, with `article_id`, the references, the
    paragraph as its reference context and the answers' spans in the cleaned text. Two
    titles with the same slug get -2, -3... appended.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))["data"]
    except (OSError, ValueError, KeyError, TypeError):
        raise ValueError(f'{path} is not SQuAD JSON (a top-level "data" list)') from None
    articles: dict[str, str] = {}
    lines: list[dict] = []
    for doc in data:
        title = " ".join(str(doc.get("title") or "article").replace("_", " ").split())
        article_id, n = slug(title), 1
        while article_id in articles:
            n += 1
            article_id = f"{slug(title)}-{n}"
        paragraphs = doc.get("paragraphs") or []
        raw = title + "\n\n" + "\n\n".join(" ".join(p["context"].split()) for p in paragraphs) + "\n"
        articles[article_id] = raw
        text = parse_article(raw, article_id).text
        for para in paragraphs:
            context = para["context"]
            for qa in para.get("qas") or []:
                answers = [] if qa.get("is_impossible") else qa.get("answers") or []
                refs = list(dict.fromkeys(a["text"] for a in answers))
                spans = {_answer_span(text, context, a["answer_start"], a["text"]) for a in answers}
                lines.append(
                    {
                        "id": str(qa["id"]),
                        "article_id": article_id,
                        "user_input": qa["question"],
                        "answerable": bool(answers),
                        "reference": refs[0] if refs else "",
                        "alt_references": refs[1:],
                        "reference_contexts": [" ".join(context.split())] if answers else [],
                        "reference_spans": sorted(list(s) for s in spans if s is not None),
                        "tags": ["squad", "answerable" if answers else "unanswerable"],
                        "squad_answers": [a["text"] for a in answers],
                    }
                )
    return articles, lines


# --- the official v2.0 metrics ---------------------------------------------------------


def normalize(s: str) -> str:
    """The official script's normalize_answer: lower case, no ASCII punctuation, no
    articles, single spaces.

    >>> normalize("The  Normans' duchy!")
    'normans duchy'
    """
    s = "".join(ch for ch in s.lower() if ch not in set(string.punctuation))
    s = re.sub(r"\b(a|an|the)\b", " ", s)
    return " ".join(s.split())


def compute_exact(gold: str, pred: str) -> int:
    return int(normalize(gold) == normalize(pred))


def compute_f1(gold: str, pred: str) -> float:
    """Token F1; when either side is empty, 1 if both are, else 0 (the script's rule)."""
    g, p = normalize(gold).split() if gold else [], normalize(pred).split() if pred else []
    if not g or not p:
        return float(g == p)
    common = sum((collections.Counter(g) & collections.Counter(p)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(p), common / len(g)
    return 2 * precision * recall / (precision + recall)


def squad_scores(golds: dict[str, list[str]], preds: dict[str, str], na_probs: dict[str, float]) -> dict:
    """The official script's figures (v2.0, --na-prob-thresh 1.0), in percent.

    `golds`: per question id, its answers ([] when unanswerable); `preds`: the predicted
    text ("" to abstain); `na_probs`: the no-answer probability of each question.

    >>> s = squad_scores({"a": ["Paris"], "b": []}, {"a": "Paris", "b": ""}, {"a": 0.1, "b": 0.9})
    >>> s["exact"], s["HasAns_exact"], s["NoAns_exact"], s["best_exact"]
    (100.0, 100.0, 100.0, 100.0)
    >>> s = squad_scores({"a": ["Paris"], "b": []}, {"a": "Paris", "b": "Lyon"}, {"a": 0.1, "b": 0.9})
    >>> s["exact"], s["best_exact"], s["best_exact_thresh"]
    (50.0, 100.0, 0.1)
    """
    has_ans = {q: bool(a) for q, a in golds.items()}
    exact, f1 = {}, {}
    for qid, answers in golds.items():
        pred = preds.get(qid, "")
        refs = [a for a in answers if normalize(a)] or [""]
        exact[qid] = max(compute_exact(a, pred) for a in refs)
        f1[qid] = max(compute_f1(a, pred) for a in refs)
    # --na-prob-thresh 1.0 (the default): a probability above it never turns an answer into
    # an abstention, so the raw scores are the thresholded ones.
    has = [q for q in golds if has_ans[q]]
    no = [q for q in golds if not has_ans[q]]

    def mean(d, ids):
        return round(100.0 * sum(d[q] for q in ids) / len(ids), 4) if ids else None

    out: dict = {"exact": mean(exact, list(golds)), "f1": mean(f1, list(golds)), "total": len(golds)}
    if has:
        out |= {"HasAns_exact": mean(exact, has), "HasAns_f1": mean(f1, has), "HasAns_total": len(has)}
    if no:
        out |= {"NoAns_exact": mean(exact, no), "NoAns_f1": mean(f1, no), "NoAns_total": len(no)}
    for name, scores in (("exact", exact), ("f1", f1)):
        best, thresh = find_best_thresh(preds, scores, na_probs, has_ans)
        out[f"best_{name}"], out[f"best_{name}_thresh"] = best, thresh
    return out


def find_best_thresh(preds, scores, na_probs, has_ans) -> tuple[float, float]:
    """The script's find_best_thresh: abstain on every question whose no-answer probability
    exceeds the threshold, and keep the threshold that scores best."""
    cur = best = sum(not v for v in has_ans.values())
    best_thresh = 0.0
    for qid in sorted(na_probs, key=lambda k: na_probs[k]):
        if qid not in scores:
            continue
        diff = scores[qid] if has_ans[qid] else (-1 if preds.get(qid) else 0)
        cur += diff
        if cur > best:
            best, best_thresh = cur, na_probs[qid]
    return (round(100.0 * best / len(scores), 4) if scores else 0.0), best_thresh


def prediction(record: dict) -> tuple[str, float]:
    """(predicted text, no-answer probability) of one eval record: the short answer when
    there is one, else the first citation's quote; "" when the bot abstained. The
    probability is 1 - confidence, or 1.0/0.0 from `abstained` without a confidence."""
    if "error" in record:  # the bot gave no answer: an abstention
        return "", 1.0
    abstained = bool(record.get("abstained"))
    confidence = record.get("confidence")
    na_prob = (1.0 if abstained else 0.0) if confidence is None else round(1.0 - float(confidence), 6)
    if abstained:
        return "", na_prob
    short = record.get("short_answer")
    if short:
        return str(short), na_prob
    citations = record.get("citations") or []
    return (str(citations[0].get("quote") or "") if citations else ""), na_prob


def squad_figures(records: list[dict]) -> dict | None:
    """The official figures over the records of a SQuAD run (None when none has its answers)."""
    scored = [r for r in records if "squad_answers" in r]
    if not scored:
        return None
    golds = {r["id"]: list(r["squad_answers"]) for r in scored}
    preds, na_probs = {}, {}
    for r in scored:
        preds[r["id"]], na_probs[r["id"]] = prediction(r)
    return squad_scores(golds, preds, na_probs)
