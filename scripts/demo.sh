#!/usr/bin/env bash
# `npm run demo`: installs what it needs, then runs one backup and restore cycle on local
# PostgreSQL, Redis and MinIO (see scripts/demo.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/setup.sh
source scripts/setup.sh
scripts/tools/build.sh minio >/dev/null
exec node dist/scripts/demo.js
