# shellcheck shell=sh
# Helpers shared by jobs/*.sh. Sourced, POSIX sh: the containers' shell is busybox ash
# (alpine images) or bash (aws-cli image), and the tests also run everything under dash.
# The environment contract these scripts read is written down in core/contract.ts and in each
# part's descriptor (sources/<part>/env.ts); the value rules they check in core/valueRules.ts,
# shipped beside this file as the generated rules.sh.

# die MESSAGE: one line on stderr, exit 1. Newlines in values are folded so the reason
# stays on one line whatever a hostile value contains.
die() {
	_die_reason=$(printf '%s' "$*" | tr '\n\r' '  ')
	printf '%s: %s\n' "${GGB_STEP:-job}" "$_die_reason" >&2
	# The dump step also tells the upload step why it stops (see open_channel).
	if [ -n "${CHANNEL_OPEN:-}" ]; then printf 'failed %s: %s\n' "${GGB_STEP:-job}" "$_die_reason" >&7 2>/dev/null || true; fi
	exit 1
}

# log MESSAGE: progress on stderr, so a step's stdout stays data.
log() {
	printf '%s %s: %s\n' "$(date -u +%H:%M:%S)" "${GGB_STEP:-job}" "$(printf '%s' "$*" | tr '\n\r' '  ')" >&2
}

# The seams, each in a file of its own: the value rules (generated), the codec, the channel
# between the dump and upload containers, the S3 client.
# shellcheck source=/dev/null # generated from core/valueRules.ts into the scripts ConfigMap
. "${0%/*}/rules.sh"
# shellcheck source=jobs/codec.sh
. "${0%/*}/codec.sh"
# shellcheck source=jobs/channel.sh
. "${0%/*}/channel.sh"
# shellcheck source=jobs/s3.sh
. "${0%/*}/s3.sh"

# check_value RULE NAME VALUE: VALUE (of the variable or setting NAME) passes the shared value
# rule RULE, or the step dies with the rule's words.
check_value() {
	# shellcheck disable=SC2154 # _cv_what is set by value_ok (rules.sh)
	value_ok "$1" "$3" || die "$2 '$3' is not $_cv_what"
}

# need VAR...: every named variable is set and non-empty. Names are literals of the scripts.
need() {
	for _need_name in "$@"; do
		eval "_need_value=\${$_need_name:-}"
		[ -n "$_need_value" ] || die "missing required environment variable $_need_name"
	done
}

# first_line FILE: the first non-empty line of a file (a tool's error), folded.
first_line() {
	sed -n '/[^[:space:]]/{p;q;}' "$1" 2>/dev/null | tr -d '\n' | tr '\r' ' '
}

# first_line_of TEXT: the first non-empty line of a text (a tool's error kept in a variable,
# for when the staging volume may be too full to hold an error file), folded.
first_line_of() {
	printf '%s\n' "$1" | sed -n '/[^[:space:]]/{p;q;}' | tr -d '\n' | tr '\r' ' '
}

# error_line_of TEXT: the first line of a tool's output that mentions an error, else its last
# non-empty line (for tools that print progress before failing), folded.
error_line_of() {
	printf '%s\n' "$1" | awk 'NF { last = $0 } NF && found == "" && tolower($0) ~ /error/ { found = $0 } END { print (found != "" ? found : last) }' | tr -d '\n' | tr '\r' ' '
}

# check_call_timeout: GGB_CALL_TIMEOUT, the seconds one call to a server may take (default 600),
# is a number of seconds; sets CALL_TIMEOUT. A call that hangs (an API server or kotsadm that
# accepts and never answers) then fails with a reason long before the Job's deadline kills the
# pod without one. Called at the top level of a step, so that a bad value stops the step itself.
check_call_timeout() {
	check_value connectTimeout GGB_CALL_TIMEOUT "${GGB_CALL_TIMEOUT:-600}"
	CALL_TIMEOUT=${GGB_CALL_TIMEOUT:-600}
}

# bounded CMD...: CMD, stopped after $CALL_TIMEOUT seconds (check_call_timeout); exits 124 when
# it was stopped (coreutils' timeout says 124, busybox's, whose program is killed by TERM, 143).
bounded() {
	_b_status=0
	timeout "${CALL_TIMEOUT:?check_call_timeout first}" "$@" || _b_status=$?
	case "$_b_status" in 143) return 124 ;; esac
	return "$_b_status"
}

# check_backup_id ID
check_backup_id() {
	check_value backupId "backup id" "$1"
}

# check_component NAME: a part name (which parts exist is the registry's business).
check_component() {
	check_value partName GGB_COMPONENT "$1"
}

# check_pg_jobs: GGB_PG_JOBS, when set, is a number of parallel jobs (checked before anything
# is dumped or a restore target is emptied).
check_pg_jobs() {
	check_value parallelJobs GGB_PG_JOBS "${GGB_PG_JOBS:-2}"
}


# need_s3: the S3 variables are present and sane; sets S3_BASE (s3://bucket/prefix).
need_s3() {
	need GGB_S3_BUCKET GGB_S3_PREFIX GGB_COMPONENT
	check_value prefix GGB_S3_PREFIX "$GGB_S3_PREFIX"
	check_component "$GGB_COMPONENT"
	check_value bucket GGB_S3_BUCKET "$GGB_S3_BUCKET"
	# shellcheck disable=SC2034 # read by the scripts that source this file
	S3_BASE="s3://$GGB_S3_BUCKET/$GGB_S3_PREFIX"
}

# json_str VALUE: VALUE as the inside of a JSON string.
json_str() {
	printf '%s' "$1" | tr -d '\000-\037' | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g'
}

# sha256_of FILE
sha256_of() {
	sha256sum "$1" | cut -d ' ' -f 1
}

# size_of FILE: bytes.
size_of() {
	wc -c <"$1" | tr -d ' '
}
