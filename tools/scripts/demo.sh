#!/usr/bin/env bash
# The README's demo command (`npm run demo`): set-up, then a 3-member etcd cluster (or the one
# in ETCD_ENDPOINTS), 3 greeters, 2 workers and the gateway. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tools/scripts/setup.sh
bash tools/scripts/gen-protos.sh
exec node --import tsx tools/demo/src/main.ts
