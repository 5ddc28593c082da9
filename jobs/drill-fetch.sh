#!/bin/sh
# First step of a restore drill (init container, aws-cli image): for each part of GGB_DRILL_PARTS,
# picks one complete set (GGB_DRILL_PICK: latest, the newest; random, any within the window) of
# the last GGB_DRILL_WINDOW_DAYS days, and fetches and verifies it with the restore's own fetch
# step (restore-fetch.sh: every size and sha256 against the manifest) into $STAGE/<part>. A set
# without a manifest is never picked. What it finds goes to the drill record (drill-lib.sh);
# only a broken setting or an unreadable bucket stops it.
set -eu
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "${0%/*}/lib.sh"
# shellcheck source=drill-lib.sh source-path=SCRIPTDIR
. "${0%/*}/drill-lib.sh"
GGB_STEP=drill-fetch

need GGB_STAGING_DIR GGB_S3_BUCKET GGB_S3_PREFIX GGB_DRILL_PARTS GGB_DRILL_PICK GGB_DRILL_WINDOW_DAYS GGB_DRILL_DEADLINE_SECONDS
check_value bucket GGB_S3_BUCKET "$GGB_S3_BUCKET"
check_value prefix GGB_S3_PREFIX "$GGB_S3_PREFIX"
check_value drillPick GGB_DRILL_PICK "$GGB_DRILL_PICK"
check_value drillWindowDays GGB_DRILL_WINDOW_DAYS "$GGB_DRILL_WINDOW_DAYS"
check_value drillDeadlineSeconds GGB_DRILL_DEADLINE_SECONDS "$GGB_DRILL_DEADLINE_SECONDS"
STAGE=$GGB_STAGING_DIR
if ! { [ -d "$STAGE" ] && [ -w "$STAGE" ]; }; then die "staging folder $STAGE is missing or not writable"; fi
# The drill's steps run as the users of their images (70, 999, 1001, this one 1000) and share the
# staging volume through the pod's fsGroup: what this step creates there (the record, each part's
# folder and set) must be writable by that group, or the next steps cannot record a verdict.
umask 0002

start=$(date -u +%s)
id=$(date -u -d "@$start" +%Y%m%dT%H%M%SZ) || die "cannot format the drill's id with this date command"
window_start=$(date -u -d "@$((start - GGB_DRILL_WINDOW_DAYS * 86400))" +%Y%m%dT%H%M%SZ) ||
	die "cannot compute the window's start with this date command"
rm -rf "$(drill_dir)"
mkdir "$(drill_dir)"
printf 'id=%s\nstartedAt=%s\nstart=%s\ndeadline=%s\npick=%s\nwindowDays=%s\n' "$id" "$(date -u -d "@$start" +%Y-%m-%dT%H:%M:%SZ)" \
	"$start" "$((start + GGB_DRILL_DEADLINE_SECONDS))" "$GGB_DRILL_PICK" "$GGB_DRILL_WINDOW_DAYS" >"$(drill_dir)/drill"
: >"$(drill_dir)/sets"
: >"$(drill_dir)/checks"
: >"$(drill_dir)/phases"
work=$(mktemp -d "${TMPDIR:-/tmp}/drill-fetch.XXXXXX") || die "cannot create a work folder in ${TMPDIR:-/tmp}"
trap 'rm -rf "$work"' EXIT
log "drill $id: $GGB_DRILL_PICK complete set of the last $GGB_DRILL_WINDOW_DAYS days of each of $GGB_DRILL_PARTS, deadline ${GGB_DRILL_DEADLINE_SECONDS} s"

# pick: one id from the complete sets on stdin (newest first), by GGB_DRILL_PICK.
pick() {
	if [ "$GGB_DRILL_PICK" = latest ]; then
		head -n 1
	else
		seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' \n')
		awk -v seed="${seed:-1}" '{ ids[NR] = $0 } END { if (NR > 0) { srand(seed); print ids[int(rand() * NR) + 1] } }'
	fi
}

rest="$GGB_DRILL_PARTS,"
while [ -n "$rest" ]; do
	part=${rest%%,*}
	rest=${rest#*,}
	[ -n "$part" ] || continue
	check_value partName "part '$part' of GGB_DRILL_PARTS, which" "$part"
	base="$GGB_S3_PREFIX/$part/"
	err=$(s3_list_keys "$base" "$work/keys" 2>&1) || die "cannot list s3://$GGB_S3_BUCKET/$base: $(error_line_of "$err")"
	sets_in "$base" "$work/keys" | awk '$2 == "complete" { print $1 }' >"$work/complete"
	newest=$(head -n 1 "$work/complete")
	if [ -z "$newest" ]; then
		record_check "$part" set failed 0 "no complete set under s3://$GGB_S3_BUCKET/$base (a set without manifest.json is never picked)"
		continue
	fi
	chosen=$(awk -v from="$window_start" '$1 >= from' "$work/complete" | pick)
	if [ -z "$chosen" ]; then
		record_check "$part" set failed 0 "the newest complete set, $newest, is older than the window of $GGB_DRILL_WINDOW_DAYS days"
		continue
	fi
	printf '%s\t%s\n' "$part" "$chosen" >>"$(drill_dir)/sets"
	record_check "$part" set passed 0 "$chosen ($GGB_DRILL_PICK of $(wc -l <"$work/complete" | tr -d ' ') complete sets)"
	if past_deadline; then
		record_check "$part" fetch timedOut 0 "the drill's deadline passed before the set was fetched"
		continue
	fi
	mkdir -p "$STAGE/$part"
	# The restore's own fetch step, as a restore runs it; its reason is the check's detail.
	timed env GGB_COMPONENT="$part" GGB_BACKUP_ID="$chosen" GGB_STAGING_DIR="$STAGE/$part" sh "${0%/*}/restore-fetch.sh" 2>"$work/fetch.err"
	record_phase "$part" fetch "$TIMED_SECONDS" recovery
	# Encrypted ones are said so: the fetch decrypted them (age authenticated every byte).
	decrypted=$(grep -c ' restore-fetch: decrypted ' "$work/fetch.err" 2>/dev/null || true)
	[ "$decrypted" != 0 ] || decrypted=""
	record_timed "$part" fetch "$(wc -l 2>/dev/null <"$STAGE/$part/.fetch-complete" | tr -d ' ') artifacts, each size and sha256 as the manifest says${decrypted:+, $decrypted decrypted}" "$work/fetch.err" || true
done
log "drill $id: sets picked and fetched"
