#!/usr/bin/env bash
# Wall time of a first and a second `make demo` from a fresh clone with an empty .venv.
# The server is stopped as soon as it prints its URL: what is timed is "command typed -> dashboard up".
# Usage: speed/demo_wall_time.sh [workdir]   (default: a temp dir; needs network to PyPI)
set -euo pipefail
src=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
work=${1:-$(mktemp -d)}
git clone -q "$src" "$work/medlb"
cd "$work/medlb"
export MEDLB_CACHE="$work/medlb-cache"   # no converted models from earlier runs
export PIP_NO_CACHE_DIR=1                # no wheels pip downloaded for earlier runs: a fresh machine has none
run_until_url() {
  local start=$SECONDS
  ( make demo 2>&1 & echo $! > .demo.pid; wait ) | while IFS= read -r line; do
    echo "$line"
    if [[ $line == *"dashboard: http://localhost:8501"* ]]; then
      pkill -f "streamlit run .*dashboard/app.py" || true
      break
    fi
  done
  echo "WALL $1: $((SECONDS - start)) s"
}
run_until_url first | tail -n 40
run_until_url second | tail -n 8
