#!/usr/bin/env bash
# The README's demo command (`npm run demo`): set-up, then a 3-member etcd cluster (or the one
# in ETCD_ENDPOINTS), 3 greeters, 2 workers, the gateway, 2 backup replicas and the ops console.
# Ctrl-C stops everything. `npm run demo -- --secure`: the same with TLS, etcd auth from
# deploy/access.yaml, one etcd user and certificate per app and gRPC TLS (tools/demo/src/secure-demo.ts).
set -euo pipefail
cd "$(dirname "$0")/../.."
SETUP_SKIP_CHROMIUM=1 bash tools/scripts/setup.sh   # the browser is for the tests only
bash tools/scripts/gen-protos.sh
# The ops console serves the built single-page app (cached by Nx after the first build).
NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false npx nx run console-ui:build --outputStyle=static >/dev/null
exec node --import tsx tools/demo/src/main.ts "$@"
