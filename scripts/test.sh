#!/usr/bin/env bash
# Set up (venv + pinned dependencies), lint, type-check and run the tests. README quickstart, command 2.
# Extra arguments go to pytest (e.g. `bash scripts/test.sh tests/cli -k vrp`).
# Environment: PYTEST_WORKERS (default 2, the machine's cores; 0 runs serially).
set -euo pipefail
cd "$(dirname "$0")/.."
# Headless Chromium for the report and dashboard browser tests (root only; idempotent: skipped when present).
[[ "$(id -u)" == "0" ]] && { command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium); }
# npm for the dashboard's Leaflet (root only; idempotent).
[[ "$(id -u)" == "0" ]] && { command -v npm >/dev/null || (apt-get update -qq && apt-get install -y -qq npm); }
python3 -m venv .venv
.venv/bin/python -m pip install --quiet -c constraints.txt -e ".[test]"
bash scripts/web-deps.sh    # Leaflet for the dashboard and the --map files (npm ci, skipped when current)
.venv/bin/ruff check h2lane tests benchmarks scripts
.venv/bin/mypy h2lane

workers="${PYTEST_WORKERS:-2}"
xdist=()
if [[ "$workers" != "0" ]]; then
    xdist=(-n "$workers")
fi
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
.venv/bin/python -m pytest "${xdist[@]}" "$@" 2>&1 | tee "$log"
status="${PIPESTATUS[0]}"
set -e
# pytest's closing line (e.g. "==== 412 passed, 3 skipped in 61.20s ====") and the same counts as
# one plain line "pytest: N passed, N failed, N skipped" (errors count as failures).
summary="$(grep -E '^(=+ )?([0-9]+ [a-z]+|no tests ran).* in [0-9.]+s' "$log" | tail -n 1 \
    | sed -E 's/^=+ //; s/ =+$//' || true)"
count() { grep -oE "[0-9]+ $1" <<<"$summary" | grep -oE '^[0-9]+' || echo 0; }
echo "${summary:-pytest printed no summary line}"
echo "pytest: $(count passed) passed, $(( $(count failed) + $(count errors?) )) failed, $(count skipped) skipped"
if [[ "$status" == "5" ]]; then
    echo "pytest collected no tests: treated as a failure" >&2
    exit 1
fi
exit "$status"
