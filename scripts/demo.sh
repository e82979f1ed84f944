#!/usr/bin/env bash
# Set up and run the main job on the bundled scenario. README quickstart, command 1.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet -c constraints.txt -e .
bash scripts/web-deps.sh    # Leaflet for the dashboard and the --map files (npm ci, skipped when current)
# the trip planner's kernels compiled ahead of time (once, ~1 min; needs a C compiler): a trip then
# answers without starting numba. Without a compiler h2lane says so and runs on its JIT kernels.
.venv/bin/h2lane kernels build || true
.venv/bin/h2lane trip --from Xiaoyi --to "Tianjin Port" --round-trip --map xiaoyi-tianjin-port.html "$@"
# the same round trip as a plan document, and its emissions report (allocation, sensitivity, provenance)
.venv/bin/h2lane trip --from Xiaoyi --to "Tianjin Port" --round-trip --json > xiaoyi-tianjin-port-plan.json
.venv/bin/h2lane emissions --plan xiaoyi-tianjin-port-plan.json --report xiaoyi-tianjin-port-emissions.html
# a busy simulated week's station queues (7 days, 60 fills a day per station, ~3 s) fed back into the trip
.venv/bin/h2lane simulate --days 7 --arrivals-per-day 60 --seed 1 --waits station-waits.json --json > /dev/null
.venv/bin/h2lane trip --from Xiaoyi --to "Tianjin Port" --round-trip --station-waits station-waits.json
.venv/bin/h2lane site --example shanxi-ports --stations 4 --map shanxi-ports-sites.html
