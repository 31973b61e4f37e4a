#!/usr/bin/env bash
# The README's test command (`npm test`): set-up, lint and typecheck of every project through
# Nx, then every test (unit and integration against real etcd) in one Jest run.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tools/scripts/setup.sh
bash tools/scripts/gen-protos.sh
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false
npx nx run-many -t lint typecheck build --outputStyle=static   # build: the console's SPA, for its browser tests
mkdir -p tmp
set +e
npx jest --ci --runInBand --json --outputFile=tmp/jest-results.json "$@"
status=$?
set -e
node tools/scripts/test-summary.js tmp/jest-results.json
exit $status
