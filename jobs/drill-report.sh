#!/bin/sh
# Last step of a restore drill (container, aws-cli image, after every part's step): turns the
# drill record (drill-lib.sh) into the drill's result, writes it next to the sets as
# <prefix>/drills/<id>.json, and prints it. Its status is SUCCESSFUL when every check passed or
# was skipped, TIMED_OUT when one ran out of the deadline, FAILED otherwise; a drill that is not
# SUCCESSFUL fails the Job with a one-line reason (the termination message), so alerts fire.
# recoverySeconds is what a restore of these sets spends (fetching, applying, loading): the
# recovery time a user can quote; totalSeconds adds the scratch servers and the checks.
set -eu
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "${0%/*}/lib.sh"
# shellcheck source=drill-lib.sh source-path=SCRIPTDIR
. "${0%/*}/drill-lib.sh"
GGB_STEP=drill-report

need GGB_STAGING_DIR GGB_S3_BUCKET GGB_S3_PREFIX
check_value bucket GGB_S3_BUCKET "$GGB_S3_BUCKET"
check_value prefix GGB_S3_PREFIX "$GGB_S3_PREFIX"
STAGE=$GGB_STAGING_DIR
[ -f "$(drill_dir)/drill" ] || die "no drill record in $(drill_dir): the fetch step did not run"
JQ=${GGB_JQ:-jq}
command -v "$JQ" >/dev/null 2>&1 || die "jq is not in this image (the amazon/aws-cli image has it)"
id=$(drill_field id)
check_backup_id "$id"
now=$(date -u +%s)
[ -s "$(drill_dir)/checks" ] || record_check drill checks failed 0 "no check ran (GGB_DRILL_PARTS names no part?)"

# The record's lines as JSON: tab-separated fields, so jq splits them itself.
# shellcheck disable=SC2016 # jq's $variables, not the shell's
result=$("$JQ" -n \
	--arg id "$id" --arg startedAt "$(drill_field startedAt)" --arg finishedAt "$(date -u -d "@$now" +%Y-%m-%dT%H:%M:%SZ)" \
	--arg pick "$(drill_field pick)" --argjson windowDays "$(drill_field windowDays)" \
	--argjson total "$((now - $(drill_field start)))" \
	--rawfile sets "$(drill_dir)/sets" --rawfile checks "$(drill_dir)/checks" --rawfile phases "$(drill_dir)/phases" '
	def rows($text): $text | split("\n") | map(select(length > 0) | split("\t"));
	(rows($checks) | map({part: .[0], check: .[1], verdict: .[2], seconds: (.[3] | tonumber), detail: .[4]})) as $c
	| (rows($phases) | map({part: .[0], phase: .[1], seconds: (.[2] | tonumber), kind: .[3]})) as $p
	| ($c | map(select(.verdict == "failed" or .verdict == "timedOut"))) as $bad
	| {
		formatVersion: 1,
		drillId: $id,
		status: (if ($bad | map(select(.verdict == "failed")) | length) > 0 then "FAILED"
			elif ($bad | length) > 0 then "TIMED_OUT" else "SUCCESSFUL" end),
		reason: (if ($bad | length) > 0 then ($bad[0] | "\(.part) \(.check): \(.detail)") + (if ($bad | length) > 1 then " (and \($bad | length - 1) more)" else "" end) else "" end),
		startedAt: $startedAt,
		finishedAt: $finishedAt,
		pick: $pick,
		windowDays: $windowDays,
		recoverySeconds: ($p | map(select(.kind == "recovery") | .seconds) | add // 0),
		totalSeconds: $total,
		sets: (rows($sets) | map({key: .[0], value: .[1]}) | from_entries),
		checks: $c,
		phases: $p
	}') || die "cannot build the drill result from $(drill_dir)"
key="$GGB_S3_PREFIX/drills/$id.json"
err=$(printf '%s\n' "$result" | s3_put_json "$key" 2>&1) || die "writing the drill result to s3://$GGB_S3_BUCKET/$key failed: $(first_line_of "$err")"
printf '%s\n' "$result"
status=$(printf '%s' "$result" | "$JQ" -r .status)
log "drill $id: $status, recovery $(printf '%s' "$result" | "$JQ" -r .recoverySeconds) s; result at s3://$GGB_S3_BUCKET/$key"
[ "$status" = SUCCESSFUL ] || die "drill $id $status: $(printf '%s' "$result" | "$JQ" -r .reason)"
