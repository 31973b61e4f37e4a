#!/usr/bin/env bash
# Installs what the demo and the tests need on a fresh Debian machine: npm dependencies
# (npm ci, when node_modules is missing or older than the lock file) and the etcd binaries
# (apt-get, when `etcd` or `etcdctl` is not on PATH and ETCD_BIN is not set).
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies from package-lock.json (npm ci, about 30 s on a fresh machine; quiet until done)..."
  started=$SECONDS
  # npm ci refuses a lock file that lacks optional binaries the registry does not carry for
  # other platforms (e.g. @swc/core-linux-s390x-gnu@1.16.22); npm install with --no-save
  # installs the same locked versions and leaves the lock file alone.
  if ! npm ci --no-audit --no-fund --loglevel=error 2>/dev/null; then
    echo "setup: npm ci refused the lock file; installing the same versions with npm install --no-save (about as long)..."
    npm install --no-save --no-audit --no-fund --loglevel=error
  fi
  echo "setup: npm dependencies installed in $((SECONDS - started)) s"
fi

# Debian packages: etcd-server and etcd-client (when etcd or etcdctl is missing and ETCD_BIN is
# not set), and chromium for the console's browser tests (when /usr/bin/chromium is missing and
# CHROMIUM_BIN is not set). One apt-get update for all of them.
packages=()
if [ -z "${ETCD_BIN:-}" ] && { ! command -v etcd >/dev/null 2>&1 || ! command -v etcdctl >/dev/null 2>&1; }; then
  packages+=(etcd-server etcd-client)
fi
if [ -z "${CHROMIUM_BIN:-}" ] && [ ! -x /usr/bin/chromium ] && [ "${SETUP_SKIP_CHROMIUM:-0}" != 1 ]; then
  packages+=(chromium)
fi
if [ ${#packages[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
    echo "setup: missing ${packages[*]}; install them with apt-get (or set ETCD_BIN / CHROMIUM_BIN)" >&2
    exit 1
  fi
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  echo "setup: installing ${packages[*]} with apt-get (update, then install: one to three minutes; quiet until done)..."
  started=$SECONDS
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
  echo "setup: ${packages[*]} installed in $((SECONDS - started)) s"
  if [[ " ${packages[*]} " == *" etcd-server "* ]]; then
    echo "setup: etcd $(etcd --version 2>/dev/null | sed -n 's/^etcd Version: //p')"
    # Debian's package starts a system etcd on 2379; tests and the demo use their own ports.
    if command -v systemctl >/dev/null 2>&1; then $SUDO systemctl disable --now etcd >/dev/null 2>&1 || true; fi
  fi
fi
