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

# shellcheck source=/dev/null # generated from core/valueRules.ts into the scripts ConfigMap
. "${0%/*}/rules.sh"

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

# check_backup_id ID
check_backup_id() {
	check_value backupId "backup id" "$1"
}

# check_component NAME: a part name (which parts exist is the registry's business).
check_component() {
	check_value partName GGB_COMPONENT "$1"
}

# The codec seam. How an artifact's bytes are encoded is recorded per artifact in the manifest
# (its "compression"), sent by the dump step with the artifact, and read back by the restore from
# the manifest: never guessed from a file name. A new codec (encryption) is a case in each of
# these functions and a value of check_codec.

# check_codec CODEC
check_codec() {
	case "$1" in
	gzip | zstd | none) ;;
	*) die "codec '$1' is not one of gzip, zstd, none" ;;
	esac
}

# codec_ext CODEC: the file suffix of an artifact encoded with CODEC (names stay readable).
codec_ext() {
	check_codec "$1"
	case "$1" in
	gzip) printf '.gz' ;;
	zstd) printf '.zst' ;;
	esac
}

# compression_ext: the file suffix of $GGB_COMPRESSION.
compression_ext() {
	codec_ext "$GGB_COMPRESSION"
}

# compress: stdin to stdout with $GGB_COMPRESSION. pigz (parallel gzip) is used when the
# image has it: single-threaded gzip is the bottleneck of a large dump. zstd runs single-threaded:
# it outpaces the single stream of a dump (docs/performance.md) and its worker buffers would
# add some 40 MB to the dump container.
compress() {
	check_codec "$GGB_COMPRESSION"
	case "$GGB_COMPRESSION" in
	gzip)
		if command -v pigz >/dev/null 2>&1; then
			pigz -c "-${GGB_COMPRESSION_LEVEL:-1}"
		else
			gzip -c "-${GGB_COMPRESSION_LEVEL:-1}"
		fi
		;;
	zstd) zstd -q -c --single-thread "-${GGB_COMPRESSION_LEVEL:-3}" ;;
	none) cat ;;
	esac
}

# decode CODEC FILE: FILE's content, decoded, on stdout.
decode() {
	check_codec "$1"
	case "$1" in
	gzip) gzip -dc "$2" ;;
	zstd) zstd -q -dc "$2" ;;
	none) cat "$2" ;;
	esac
}

# codec_of NAME: the codec the manifest records for artifact NAME (restore-fetch.sh left the
# list in $STAGE/.artifacts: name key size sha256 codec).
codec_of() {
	_codec=$(awk -v n="$1" '$1 == n { print $5; exit }' "$STAGE/.artifacts")
	[ -n "$_codec" ] || die "artifact $1 is not in the fetched set"
	printf '%s' "$_codec"
}

# set_field NAME: a field of the fetched set ($STAGE/.set, left by restore-fetch.sh).
set_field() {
	sed -n "s/^$1=//p" "$STAGE/.set" | sed -n '1p'
}

# check_pg_jobs: GGB_PG_JOBS, when set, is a number of parallel jobs (checked before anything
# is dumped or a restore target is emptied).
check_pg_jobs() {
	check_value parallelJobs GGB_PG_JOBS "${GGB_PG_JOBS:-2}"
}

# check_compression_tool: the compressor exists in this image, and the level suits it.
check_compression_tool() {
	check_codec "$GGB_COMPRESSION"
	if [ -n "${GGB_COMPRESSION_LEVEL:-}" ] && [ "$GGB_COMPRESSION" != none ]; then
		check_value "${GGB_COMPRESSION}Level" GGB_COMPRESSION_LEVEL "$GGB_COMPRESSION_LEVEL"
	fi
	case "$GGB_COMPRESSION" in
	gzip) command -v gzip >/dev/null 2>&1 || command -v pigz >/dev/null 2>&1 || die "gzip is not in this image" ;;
	zstd) command -v zstd >/dev/null 2>&1 || die "zstd is not in this image; use compression gzip" ;;
	esac
}

# The dump step streams its artifacts to the upload step, which runs beside it in the same pod
# (two containers sharing the staging folder): nothing is staged that a tool can stream, and the
# upload ends seconds after the dump. The channel is made of FIFOs in the staging folder:
#   .control   text lines, dump -> upload:
#                meta KEY=VALUE        the set's metadata (backupId first)
#                artifact N NAME CODEC artifact NAME, encoded with CODEC, follows on .data.N
#                sent N                artifact N is complete (the upload may commit it)
#                failed REASON         the dump step stops: REASON
#                done                  every artifact was sent
#   .data.N    the bytes of artifact N (one FIFO each, so an artifact never runs into the next)
# A dump step that dies closes .control without `done`: the upload step then aborts the
# artifact in flight (it never completes) and writes no manifest.
CONTROL_FIFO=.control

# make_fifo PATH: a FIFO both containers can open (they share the pod's fsGroup, hence 0660).
make_fifo() {
	[ -p "$1" ] || mkfifo -m 0660 "$1" 2>/dev/null || [ -p "$1" ] || die "cannot create the FIFO $1"
}

# connect_timeout: seconds the two steps wait for each other at each FIFO (GGB_CONNECT_TIMEOUT).
connect_timeout() {
	check_value connectTimeout GGB_CONNECT_TIMEOUT "${GGB_CONNECT_TIMEOUT:-600}"
	printf '%s' "${GGB_CONNECT_TIMEOUT:-600}"
}

# watch_open FIFO r|w: guards the blocking open of FIFO for reading (r) or writing (w) that
# follows: when the other step never opens it, a watchdog opens it the other way after the
# connect timeout and closes it, so the open returns (then watch_done fails with a reason)
# instead of the wait lasting until the Job's deadline. The watchdog leaves a mark before it
# opens: its exit status cannot tell, as one killed while exiting after firing also reads 137.
watch_open() {
	WATCH_MARK="$STAGE/.timed-out.${GGB_STEP:-job}"
	rm -f "$WATCH_MARK"
	# It holds none of the channel's descriptors: a forgotten holder would hide the other
	# step's end (no EOF, no EPIPE) for as long as it sleeps.
	(
		sleep "$CONNECT_TIMEOUT"
		printf '' >"$WATCH_MARK"
		if [ "$2" = r ]; then : >"$1"; else : <"$1"; fi
	) </dev/null >/dev/null 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	WATCHDOG=$!
}

# watch_done PEER: the guarded open returned. Stops the watchdog with SIGKILL (a freshly forked
# shell may still hold the EXIT trap it inherited, which another signal would run); it fired
# when it left its mark or exited by itself.
watch_done() {
	kill -KILL "$WATCHDOG" 2>/dev/null || true
	_watch_status=0
	wait "$WATCHDOG" 2>/dev/null || _watch_status=$?
	if [ -e "$WATCH_MARK" ] || [ "$_watch_status" != 137 ]; then
		rm -f "$WATCH_MARK"
		die "$1 did not connect within $CONNECT_TIMEOUT s (see its log)"
	fi
}

# open_channel: the dump step's first act, so that any later failure reaches the upload step:
# connects to it (blocks until it listens) and sends the set's id. Leaves BACKUP_ID and STAGE set.
open_channel() {
	need GGB_STAGING_DIR GGB_COMPONENT
	check_component "$GGB_COMPONENT"
	STAGE=$GGB_STAGING_DIR
	[ -d "$STAGE" ] || die "staging folder $STAGE does not exist"
	[ -w "$STAGE" ] || die "staging folder $STAGE is not writable"
	CONNECT_TIMEOUT=$(connect_timeout)
	# A write to a closed channel fails with EPIPE (and a reason) instead of killing the shell.
	trap '' PIPE
	make_fifo "$STAGE/$CONTROL_FIFO"
	watch_open "$STAGE/$CONTROL_FIFO" w
	exec 7>"$STAGE/$CONTROL_FIFO"
	watch_done "the upload step"
	CHANNEL_OPEN=yes
	ARTIFACTS=0
	BACKUP_ID=${GGB_BACKUP_ID:-$(date -u +%Y%m%dT%H%M%SZ)}
	check_backup_id "$BACKUP_ID"
	meta backupId "$BACKUP_ID"
	meta startedAt "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
}

# meta KEY VALUE: a line of the set's metadata (value folded onto one line).
meta() {
	printf 'meta %s=%s\n' "$1" "$(printf '%s' "$2" | tr '\n\r' '  ')" >&7 || die "the upload step stopped listening (see its log)"
}

# send NAME FILTER CMD...: CMD's stdout through FILTER (compress, or cat for bytes already
# compressed) to the upload step as artifact NAME, with its codec ($GGB_COMPRESSION through
# compress, none through cat). Fails when CMD fails even though FILTER
# succeeds: there is no pipefail in POSIX sh, so CMD's status comes back on fd 3 after its
# stderr, and both are kept in memory (the staging folder may be full).
send() {
	_send_name=$1 _send_filter=$2
	shift 2
	ARTIFACTS=$((ARTIFACTS + 1))
	_send_fifo="$STAGE/.data.$ARTIFACTS"
	make_fifo "$_send_fifo"
	if [ "$_send_filter" = compress ]; then _send_codec=$GGB_COMPRESSION; else _send_codec=none; fi
	printf 'artifact %s %s %s\n' "$ARTIFACTS" "$_send_name" "$_send_codec" >&7 || die "the upload step stopped listening (see its log)"
	watch_open "$_send_fifo" w
	exec 8>"$_send_fifo"
	watch_done "the upload step"
	_send_frc=0
	_send_out=$({ {
		_send_status=0
		"$@" 2>&3 3>&- 7>&- 8>&- || _send_status=$?
		echo "exit=$_send_status" >&3
	} | "$_send_filter" >&8 3>&- 7>&- 8>&-; } 3>&1) || _send_frc=$?
	exec 8>&-
	rm -f "$_send_fifo"
	_send_rc=$(printf '%s\n' "$_send_out" | sed -n 's/^exit=//p' | tail -n 1)
	if [ "${_send_rc:-1}" != 0 ] && [ "$_send_frc" != 0 ]; then
		# Both ends failed: a broken stream (the upload step stopped reading) breaks CMD too.
		die "sending $_send_name failed: the upload step stopped reading (see its log)"
	fi
	[ "${_send_rc:-1}" = 0 ] || die "$1 failed (exit ${_send_rc:-unknown}): $(first_line_of "$(printf '%s\n' "$_send_out" | grep -v '^exit=' || true)")"
	[ "$_send_frc" = 0 ] || die "sending $_send_name failed (exit $_send_frc): the upload step stopped reading (see its log)"
	printf 'sent %s\n' "$ARTIFACTS" >&7 || die "the upload step stopped listening (see its log)"
}

# close_channel: every artifact was sent; the upload step commits the set.
close_channel() {
	printf 'done\n' >&7 || die "the upload step stopped listening (see its log)"
	exec 7>&-
	CHANNEL_OPEN=""
	log "dump complete: $ARTIFACTS artifacts streamed for set $BACKUP_ID"
}

# s3 ARGS...: the aws CLI against the configured endpoint, errors on stderr.
s3() {
	if [ -n "${GGB_S3_ENDPOINT:-}" ]; then
		${GGB_AWS:-aws} --endpoint-url "$GGB_S3_ENDPOINT" "$@"
	else
		${GGB_AWS:-aws} "$@"
	fi
}

# exec_s3 ARGS...: the same, replacing the shell: a background `exec_s3 ... &` makes $! the aws
# process itself, so killing $! really stops that upload.
exec_s3() {
	if [ -n "${GGB_S3_ENDPOINT:-}" ]; then
		exec ${GGB_AWS:-aws} --endpoint-url "$GGB_S3_ENDPOINT" "$@"
	else
		exec ${GGB_AWS:-aws} "$@"
	fi
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
