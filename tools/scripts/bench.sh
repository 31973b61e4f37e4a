#!/usr/bin/env bash
# `npm run bench [name...]`: set-up, then every benchmark (or those named) against a fresh
# 3-member etcd cluster. BENCH_SCALE=0.2 for a quick run.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tools/scripts/setup.sh
exec npx tsx bench/src/main.ts "$@"
