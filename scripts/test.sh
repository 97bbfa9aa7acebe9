#!/usr/bin/env bash
# README command 2: install everything (system packages included) and run the whole test suite:
# ruff (lint + format check), mypy over the core, then pytest with warnings as errors.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-packages.sh
bash scripts/venv.sh server,test
export QT_QPA_PLATFORM=offscreen
echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy (core)"
.venv/bin/mypy
echo "== pytest"
# pytest exits 5 when it collects nothing; a run that tests nothing must fail, and it does here.
.venv/bin/python -m pytest "$@"
