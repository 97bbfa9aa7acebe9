#!/usr/bin/env bash
# Creates .venv (if needed) and installs fieldapp into it in editable mode with the given extras.
# Usage: scripts/venv.sh [EXTRAS]   e.g. scripts/venv.sh server,test
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
spec="."
[ -n "$extras" ] && spec=".[${extras}]"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e "$spec"
