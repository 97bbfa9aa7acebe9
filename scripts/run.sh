#!/usr/bin/env bash
# README command 1: install fieldapp and start it on its embedded default store.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-packages.sh
bash scripts/venv.sh
exec .venv/bin/fieldapp "$@"
