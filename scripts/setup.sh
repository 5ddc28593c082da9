#!/usr/bin/env bash
# Source this file: installs on a fresh machine what the demo and the tests need, then builds.
# Debian packages (servers and tools the jobs are proven against), Node >= 22, npm packages
# (install scripts off: the Pulumi plugin installers try to download), the TypeScript build.
# Go-built binaries (MinIO, the Kubernetes control plane, the Pulumi engine) come from
# scripts/tools/build.sh, cached by version.
GGB_APT_PACKAGES=(postgresql postgresql-contrib redis-server awscli jq busybox dash shellcheck etcd-server bubblewrap pigz zstd)
GGB_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

ggb_missing=()
for p in "${GGB_APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || ggb_missing+=("$p")
done
if [ "${#ggb_missing[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${ggb_missing[*]}" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${ggb_missing[@]}" >&2
  # The Debian packages start system services; the tests start their own on random ports.
  for s in redis-server postgresql etcd; do $SUDO systemctl stop "$s" >/dev/null 2>&1 || $SUDO service "$s" stop >/dev/null 2>&1 || true; done
fi

# shellcheck source=scripts/node-env.sh
source "$GGB_ROOT/scripts/node-env.sh"

cd "$GGB_ROOT" || return 1
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci" >&2
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2
fi
echo "setup: tsc" >&2
npx tsc -p tsconfig.json
