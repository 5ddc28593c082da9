#!/usr/bin/env bash
# `npm run bench`: the backup/restore benchmark (see scripts/bench.ts). Not a test.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/setup.sh
source scripts/setup.sh
scripts/tools/build.sh minio rclone age >/dev/null
exec node dist/scripts/bench.js
