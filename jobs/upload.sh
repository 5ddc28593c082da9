#!/bin/sh
# Upload step of every backup (upload container, aws-cli image, beside the dump container).
# Receives each artifact as a stream over the channel of jobs/lib.sh and uploads it while it is
# dumped, computing its size and sha256 on the very bytes handed to the aws CLI. An artifact is
# completed only once the dump step says it is whole; manifest.json is written last and is the
# commit marker: a set without one is never chosen for a restore.
#
# Artifacts go under <prefix>/<component>/<backupId>/<run>/, <run> being random per upload: a
# second run with the same backup id never touches the objects the first one's manifest names.
#
# With GGB_ENCRYPTION_RECIPIENTS, each artifact is encrypted with age to those recipients on its
# way to the bucket (jobs/codec.sh): the size and sha256 are of the ciphertext, as stored.
set -eu
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "${0%/*}/lib.sh"
GGB_STEP=upload

need GGB_STAGING_DIR
STAGE=$GGB_STAGING_DIR
aws_pid="" age_pid="" connected="" WORK=""

# abort_upload: kills the aws CLI of the artifact in flight before its input ends, so the
# object is never completed (a started multipart upload is left to the bucket's lifecycle rule).
abort_upload() {
	if [ -n "$age_pid" ]; then
		kill -KILL "$age_pid" 2>/dev/null || true
		wait "$age_pid" 2>/dev/null || true
		age_pid=""
	fi
	if [ -n "$aws_pid" ]; then
		kill -KILL "$aws_pid" 2>/dev/null || true
		wait "$aws_pid" 2>/dev/null || true
		aws_pid=""
	fi
}
# release_dump: when this step stops before connecting, the dump step (already waiting, as it
# starts first) is let through at once, to fail on its first write, instead of waiting it out.
release_dump() {
	if [ -z "$connected" ] && [ -p "$STAGE/$CONTROL_FIFO" ]; then
		exec 6<>"$STAGE/$CONTROL_FIFO"
	fi
}
# Runs on every exit, set -e included, before the shell's descriptors close.
trap 'abort_upload; release_dump; [ -z "$WORK" ] || rm -rf "$WORK"' EXIT
need_s3
[ -d "$STAGE" ] || die "staging folder $STAGE does not exist"
CONNECT_TIMEOUT=$(connect_timeout)
trap '' PIPE
WORK=$(mktemp -d "${TMPDIR:-/tmp}/upload.XXXXXX") || die "cannot create a work folder in ${TMPDIR:-/tmp}"
s3_stream_settings "$WORK"
encryption_recipients "$WORK/recipients"
if [ -n "$ENCRYPTED_TO" ]; then
	age_command
	log "artifacts are encrypted with age to $ENCRYPTED_TO"
fi
run=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
[ -n "$run" ] || die "cannot read /dev/urandom"

make_fifo "$STAGE/$CONTROL_FIFO"
watch_open "$STAGE/$CONTROL_FIFO" r
exec 6<"$STAGE/$CONTROL_FIFO"
connected=yes
watch_done "the dump step"

backupId='' startedAt='' tool='' toolVersion='' serverVersion='' format='' set_key=''
artifacts='' count=0 total=0 details='' detail_names=' '

# receive N NAME CODEC: streams artifact NAME, encoded with CODEC, from .data.N to the bucket.
receive() {
	index=${1%% *} rest=${1#* }
	name=${rest%% *} codec=${rest#* }
	[ "$name" != "$rest" ] || codec=""
	case "$index" in "" | *[!0-9]*) die "unexpected message from the dump step: artifact $1" ;; esac
	# Opened first, so that whatever happens next, the dump step (waiting to write) hears of it.
	watch_open "$STAGE/.data.$index" r
	exec 5<"$STAGE/.data.$index"
	watch_done "the dump step"
	check_value artifactName "artifact name from the dump step" "$name"
	check_codec "$codec"
	[ -n "$set_key" ] || die "the dump step sent an artifact before the backup id"
	key="$set_key/$run/$name"
	rm -f "$WORK/relay" "$WORK/sum" "$WORK/count"
	mkfifo "$WORK/relay" "$WORK/sum" "$WORK/count" || die "cannot create FIFOs in $WORK"
	s3_put_stream "$key" <"$WORK/relay" >/dev/null 2>"$WORK/aws.err" 5<&- 6<&- &
	aws_pid=$!
	sha256sum <"$WORK/sum" >"$WORK/sha" 5<&- 6<&- &
	sha_pid=$!
	wc -c <"$WORK/count" >"$WORK/size" 5<&- 6<&- &
	wc_pid=$!
	# The relay end stays open here until the dump step vouches for the artifact: the aws CLI
	# sees the end of its input (and completes the object) only then.
	exec 9>"$WORK/relay"
	log "uploading $name to s3://$GGB_S3_BUCKET/$key as it is dumped"
	tee_status=0 age_status=0
	if [ -n "$ENCRYPTED_TO" ]; then
		# age between the dump's bytes and the copy: what is counted and uploaded is the ciphertext.
		rm -f "$WORK/sealed"
		mkfifo "$WORK/sealed" || die "cannot create a FIFO in $WORK"
		"$AGE" -R "$WORK/recipients" <&5 >"$WORK/sealed" 2>"$WORK/age.err" 5<&- 6<&- 9>&- &
		age_pid=$!
		exec 5<&-
		tee_err=$(tee "$WORK/sum" "$WORK/count" <"$WORK/sealed" 2>&1 >&9 6<&-) || tee_status=$?
		wait "$age_pid" || age_status=$?
		age_pid=""
	else
		tee_err=$(tee "$WORK/sum" "$WORK/count" <&5 2>&1 >&9 5<&- 6<&-) || tee_status=$?
		exec 5<&-
	fi
	wait "$sha_pid" || true
	wait "$wc_pid" || true
	if [ "$age_status" != 0 ]; then
		abort_upload
		die "encrypting $name with age failed: $(first_line "$WORK/age.err")"
	fi
	if [ "$tee_status" != 0 ]; then
		# The copy broke: the aws CLI stopped reading (its error says why), or tee failed.
		abort_upload
		err=$(first_line "$WORK/aws.err")
		die "upload of $name to s3://$GGB_S3_BUCKET/$set_key/ failed: ${err:-$(first_line_of "$tee_err")}"
	fi
	reply=""
	IFS= read -r reply <&6 || true
	case "$reply" in
	"sent $index") ;;
	"failed "*) die "the dump step failed: ${reply#failed }" ;;
	*) die "the dump step stopped while sending $name (see its log); nothing committed" ;;
	esac
	exec 9>&-
	aws_status=0
	wait "$aws_pid" || aws_status=$?
	aws_pid=""
	[ "$aws_status" = 0 ] || die "upload of $name to s3://$GGB_S3_BUCKET/$set_key/ failed: $(first_line "$WORK/aws.err")"
	size=$(tr -d ' \n' <"$WORK/size")
	sha=$(cut -d ' ' -f 1 <"$WORK/sha")
	case "$sha" in "" | *[!0-9a-f]*) die "no checksum of $name was computed" ;; esac
	[ "${#sha}" = 64 ] || die "no checksum of $name was computed"
	case "$size" in "" | *[!0-9]*) die "no size of $name was computed" ;; esac
	log "uploaded $name ($size bytes, sha256 $sha)"
	# The codec chain in the order applied, then the recipients (checked names, no quoting needed).
	if [ -n "$ENCRYPTED_TO" ]; then
		chain="\"$codec\",\"age\"" to="\"$(printf '%s' "$ENCRYPTED_TO" | sed 's/,/","/g')\""
	else
		chain="\"$codec\"" to=""
	fi
	line=$(printf '    {"name":"%s","key":"%s","size":%s,"sha256":"%s","codecs":[%s],"recipients":[%s]}' \
		"$(json_str "$name")" "$(json_str "$key")" "$size" "$sha" "$chain" "$to")
	if [ "$count" = 0 ]; then
		artifacts=$line
	else
		artifacts="$artifacts,
$line"
	fi
	count=$((count + 1))
	total=$((total + size))
}

finished=""
while IFS= read -r msg <&6; do
	case "$msg" in
	"meta "*)
		pair=${msg#meta }
		value=${pair#*=}
		case "${pair%%=*}" in
		backupId)
			[ -z "$set_key" ] || die "the dump step sent a second backup id"
			check_backup_id "$value"
			backupId=$value
			set_key="$GGB_S3_PREFIX/$GGB_COMPONENT/$backupId"
			;;
		startedAt) startedAt=$value ;;
		tool) tool=$value ;;
		toolVersion) toolVersion=$value ;;
		serverVersion) serverVersion=$value ;;
		format) format=$value ;;
		detail.*)
			# A fact of the part's dump that its restore or an operator needs (postgres:
			# rolePasswords); the manifest's "details", as plain names and strings.
			detail=${pair%%=*}
			detail=${detail#detail.}
			case "$detail" in "" | [!a-z]* | *[!A-Za-z0-9]*) die "the dump step sent a detail named '$detail' (letters and digits, starting with a lower-case letter)" ;; esac
			case "$detail_names" in *" $detail "*) die "the dump step sent the detail $detail twice" ;; esac
			detail_names="$detail_names$detail "
			details="$details${details:+, }\"$detail\": \"$(json_str "$value")\""
			;;
		esac
		;;
	"artifact "*) receive "${msg#artifact }" ;;
	"failed "*) die "the dump step failed: ${msg#failed }" ;;
	done)
		finished=yes
		break
		;;
	*) die "unexpected message from the dump step: $msg" ;;
	esac
done
if [ -z "$finished" ]; then
	if [ -z "$backupId" ]; then die "the dump step stopped before it began (see its log); nothing uploaded"; fi
	die "the dump step stopped before it finished (see its log); nothing committed"
fi
[ "$count" -gt 0 ] || die "the dump step sent no artifact; nothing committed"

manifest=$(
	printf '{\n'
	printf '  "formatVersion": 2,\n'
	printf '  "component": "%s",\n' "$GGB_COMPONENT"
	printf '  "backupId": "%s",\n' "$backupId"
	printf '  "startedAt": "%s",\n' "$(json_str "$startedAt")"
	printf '  "finishedAt": "%s",\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	printf '  "format": "%s",\n' "$(json_str "$format")"
	printf '  "tool": {"name": "%s", "version": "%s"},\n' "$(json_str "$tool")" "$(json_str "$toolVersion")"
	printf '  "server": {"version": "%s"},\n' "$(json_str "$serverVersion")"
	printf '  "details": {%s},\n' "$details"
	printf '  "artifacts": [\n'
	printf '%s\n' "$artifacts"
	printf '  ]\n}\n'
)
# Started only now: an aws CLI started beside the dump to save its start-up here measured slower
# on a 2-core node (its start competes with the dump for CPU; docs/performance.md).
err=$(printf '%s\n' "$manifest" | s3_put_json "$set_key/manifest.json" 2>&1) ||
	die "writing the manifest of $set_key failed: $(first_line_of "$err")"
log "set $set_key committed: $count artifacts, $total bytes"
