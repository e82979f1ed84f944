#!/usr/bin/env bash
# Install the dashboard's JavaScript (Leaflet) from h2lane/ops/web/package-lock.json with `npm ci`.
# Idempotent and fast: skipped when node_modules was installed from the same lockfile.
# Without npm the dashboard and the --map files still work (the server and the CLI say what is missing).
set -euo pipefail
cd "$(dirname "$0")/../h2lane/ops/web"
stamp=node_modules/.h2lane-lock.sha256
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    exit 0
fi
if ! command -v npm >/dev/null; then
    echo "npm is not installed: the dashboard map and the Leaflet --map files need it (apt-get install npm)" >&2
    exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
echo "$want" > "$stamp"
