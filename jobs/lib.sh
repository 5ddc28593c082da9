# shellcheck shell=sh
# Helpers shared by jobs/*.sh. Sourced, POSIX sh: the containers' shell is busybox ash
# (alpine images) or bash (aws-cli image), and the tests also run everything under dash.
# The environment contract these scripts read is written down in core/contract.ts.

# die MESSAGE: one line on stderr, exit 1. Newlines in values are folded so the reason
# stays on one line whatever a hostile value contains.
die() {
	printf '%s: %s\n' "${GGB_STEP:-job}" "$(printf '%s' "$*" | tr '\n\r' '  ')" >&2
	exit 1
}

# log MESSAGE: progress on stderr, so a step's stdout stays data.
log() {
	printf '%s %s: %s\n' "$(date -u +%H:%M:%S)" "${GGB_STEP:-job}" "$(printf '%s' "$*" | tr '\n\r' '  ')" >&2
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
	sed -n '/[^[:space:]]/{p;q;}' "$1" 2>/dev/null | tr '\n\r' '  '
}

# first_line_of TEXT: the first non-empty line of a text (a tool's error kept in a variable,
# for when the staging volume may be too full to hold an error file), folded.
first_line_of() {
	printf '%s\n' "$1" | sed -n '/[^[:space:]]/{p;q;}' | tr '\n\r' '  '
}

# error_line_of TEXT: the first line of a tool's output that mentions an error, else its last
# non-empty line (for tools that print progress before failing), folded.
error_line_of() {
	printf '%s\n' "$1" | awk 'NF { last = $0 } NF && found == "" && tolower($0) ~ /error/ { found = $0 } END { print (found != "" ? found : last) }' | tr '\n\r' '  '
}

# check_backup_id ID
check_backup_id() {
	case "$1" in
	[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z) ;;
	*) die "backup id '$1' is not a UTC id like 20261127T020000Z" ;;
	esac
}

# check_component NAME
check_component() {
	case "$1" in
	postgres | redis | kots) ;;
	*) die "GGB_COMPONENT '$1' is not one of postgres, redis, kots" ;;
	esac
}

# check_prefix PREFIX: letters, digits and - _ . / only, no leading or trailing slash, no '..'.
check_prefix() {
	case "$1" in
	"" | /* | */ | *//* | *..* | ./* | */./* | */. | . | *[!A-Za-z0-9._/-]*) die "GGB_S3_PREFIX '$1' must be letters, digits, '-', '_', '.', '/' without leading, trailing or double slashes, '..' or '.' parts" ;;
	esac
}

# compression_ext: the file suffix of $GGB_COMPRESSION.
compression_ext() {
	case "$GGB_COMPRESSION" in
	gzip) printf '.gz' ;;
	zstd) printf '.zst' ;;
	none) ;;
	*) die "GGB_COMPRESSION '$GGB_COMPRESSION' is not one of gzip, zstd, none" ;;
	esac
}

# compress: stdin to stdout with $GGB_COMPRESSION. pigz (parallel gzip) is used when the
# image has it: single-threaded gzip is the bottleneck of a large dump.
compress() {
	case "$GGB_COMPRESSION" in
	gzip)
		if command -v pigz >/dev/null 2>&1; then
			pigz -c "-${GGB_COMPRESSION_LEVEL:-1}"
		else
			gzip -c "-${GGB_COMPRESSION_LEVEL:-1}"
		fi
		;;
	zstd) zstd -q -c -T0 "-${GGB_COMPRESSION_LEVEL:-3}" ;;
	none) cat ;;
	*) die "GGB_COMPRESSION '$GGB_COMPRESSION' is not one of gzip, zstd, none" ;;
	esac
}

# decompress_by_ext FILE: FILE's content, uncompressed, on stdout.
decompress_by_ext() {
	case "$1" in
	*.gz) gzip -dc "$1" ;;
	*.zst) zstd -q -dc "$1" ;;
	*) cat "$1" ;;
	esac
}

# check_pg_jobs: GGB_PG_JOBS, when set, is a number of parallel jobs (checked before anything
# is dumped or a restore target is emptied).
check_pg_jobs() {
	case "${GGB_PG_JOBS:-2}" in
	[1-9] | [1-9][0-9]) ;;
	*) die "GGB_PG_JOBS '${GGB_PG_JOBS:-}' is not a number of parallel jobs (1 to 99)" ;;
	esac
}

# check_compression_tool: the compressor exists in this image, and the level suits it.
check_compression_tool() {
	compression_ext >/dev/null
	if [ -n "${GGB_COMPRESSION_LEVEL:-}" ] && [ "$GGB_COMPRESSION" != none ]; then
		case "$GGB_COMPRESSION" in gzip) _max_level=9 ;; *) _max_level=19 ;; esac
		case "$GGB_COMPRESSION_LEVEL" in
		[1-9] | 1[0-9]) [ "$GGB_COMPRESSION_LEVEL" -le "$_max_level" ] ;;
		*) false ;;
		esac || die "GGB_COMPRESSION_LEVEL '$GGB_COMPRESSION_LEVEL' is not a $GGB_COMPRESSION level (1 to $_max_level)"
	fi
	case "$GGB_COMPRESSION" in
	gzip) command -v gzip >/dev/null 2>&1 || command -v pigz >/dev/null 2>&1 || die "gzip is not in this image" ;;
	zstd) command -v zstd >/dev/null 2>&1 || die "zstd is not in this image; use compression gzip" ;;
	esac
}

# begin_dump TOOL FORMAT: prepares the staging folder and the set's metadata.
# Leaves BACKUP_ID and STAGE set.
begin_dump() {
	need GGB_STAGING_DIR GGB_COMPONENT
	check_component "$GGB_COMPONENT"
	STAGE=$GGB_STAGING_DIR
	[ -d "$STAGE" ] || die "staging folder $STAGE does not exist"
	[ -w "$STAGE" ] || die "staging folder $STAGE is not writable"
	BACKUP_ID=${GGB_BACKUP_ID:-$(date -u +%Y%m%dT%H%M%SZ)}
	check_backup_id "$BACKUP_ID"
	rm -f "$STAGE/.dump-complete" "$STAGE/.meta"
	{
		printf 'backupId=%s\n' "$BACKUP_ID"
		printf 'startedAt=%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
		printf 'tool=%s\n' "$1"
		printf 'format=%s\n' "$2"
	} >"$STAGE/.meta.partial" || die "cannot write to staging folder $STAGE"
}

# meta KEY VALUE: adds a line to the set's metadata (values folded onto one line).
meta() {
	printf '%s=%s\n' "$1" "$(printf '%s' "$2" | tr '\n\r=' '   ')" >>"$STAGE/.meta.partial" || die "cannot write to staging folder $STAGE (full?)"
}

# end_dump: marks the artifacts complete for the upload step.
end_dump() {
	sync 2>/dev/null || true
	mv "$STAGE/.meta.partial" "$STAGE/.meta" || die "cannot write to staging folder $STAGE"
	: >"$STAGE/.dump-complete" || die "cannot write to staging folder $STAGE"
	log "dump complete: $(du -sk "$STAGE" | cut -f1) KiB staged for set $BACKUP_ID"
}

# run_to FILE CMD...: runs CMD with stdout compressed into FILE. Fails when CMD fails even though
# the compressor succeeds (no pipefail in POSIX sh: the status travels through a file).
run_to() {
	_run_to_out=$1
	shift
	_run_to_status="$STAGE/.status"
	_run_to_err="$STAGE/.stderr"
	rm -f "$_run_to_status"
	{
		if "$@" 2>"$_run_to_err"; then echo 0 >"$_run_to_status"; else echo $? >"$_run_to_status"; fi
	} | compress >"$_run_to_out" || {
		rm -f "$_run_to_out"
		die "writing $_run_to_out failed (staging volume full?)"
	}
	_run_to_rc=$(cat "$_run_to_status" 2>/dev/null || echo 1)
	if [ "$_run_to_rc" != 0 ]; then
		rm -f "$_run_to_out"
		die "$1 failed (exit $_run_to_rc): $(first_line "$_run_to_err")"
	fi
}

# s3 ARGS...: the aws CLI against the configured endpoint, errors on stderr.
s3() {
	if [ -n "${GGB_S3_ENDPOINT:-}" ]; then
		${GGB_AWS:-aws} --endpoint-url "$GGB_S3_ENDPOINT" "$@"
	else
		${GGB_AWS:-aws} "$@"
	fi
}

# need_s3: the S3 variables are present and sane; sets S3_BASE (s3://bucket/prefix).
need_s3() {
	need GGB_S3_BUCKET GGB_S3_PREFIX GGB_COMPONENT
	check_prefix "$GGB_S3_PREFIX"
	check_component "$GGB_COMPONENT"
	case "$GGB_S3_BUCKET" in
	*[!a-z0-9.-]*) die "GGB_S3_BUCKET '$GGB_S3_BUCKET' is not a valid bucket name" ;;
	esac
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
