#!/usr/bin/env bash
# The test command: installs what it needs, lints the job scripts, builds the binaries the
# suites need (cached by version), and runs every mocha suite.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/setup.sh
source scripts/setup.sh

echo "test: shellcheck jobs/*.sh and sources/*/*.sh (POSIX sh) and the repository's bash scripts" >&2
shellcheck -s sh -x jobs/*.sh sources/*/*.sh test/fixtures/*/*.sh
shellcheck -x scripts/*.sh scripts/tools/*.sh .ci/run

echo "test: Go-built binaries (built once, then cached by version)" >&2
scripts/tools/build.sh all >/dev/null
# promtool and the PrometheusRule CRD are needed only by the alert rules' tests, which run late
# (test/policy, test/engine): their build (5 min cold) runs beside the first suites instead of
# before them, at low priority; the tests wait for it through build.sh's lock.
mkdir -p "${TMPDIR:-/tmp}"
nice -n 19 scripts/tools/build.sh promtool prometheus-crds >/dev/null 2>"${TMPDIR:-/tmp}/ggb-alert-tools.log" &

npx mocha "$@"
