#!/usr/bin/env bash
# Set up (venv + pinned dependencies) and run the tests and the linter. README quickstart, command 2.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet -c constraints.txt -e ".[test]"
.venv/bin/ruff check h2lane tests benchmarks scripts
.venv/bin/python -m pytest "$@"
