#!/bin/sh
# First step of every restore (init container, aws-cli image): downloads one committed set
# into the staging folder and verifies every artifact's size and sha256 against its manifest
# before anything touches the target. On any mismatch the staging folder is emptied.
set -eu
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "${0%/*}/lib.sh"
GGB_STEP=restore-fetch

need GGB_STAGING_DIR GGB_BACKUP_ID
need_s3
check_backup_id "$GGB_BACKUP_ID"
STAGE=$GGB_STAGING_DIR
if ! { [ -d "$STAGE" ] && [ -w "$STAGE" ]; }; then die "staging folder $STAGE is missing or not writable"; fi
set_key="$GGB_S3_PREFIX/$GGB_COMPONENT/$GGB_BACKUP_ID"
rm -f "$STAGE/.fetch-complete"

# The tools' errors are kept in memory: on a full staging volume an error file would stay empty.
err=$(s3 s3 cp --only-show-errors --no-progress "s3://$GGB_S3_BUCKET/$set_key/manifest.json" "$STAGE/manifest.json" 2>&1) ||
	die "set $set_key has no readable manifest (incomplete or missing set): $(first_line_of "$err")"

# upload.sh writes one artifact object per line; read name, key, size, sha256 from each.
sed -n 's/^ *{"name":"\([A-Za-z0-9._-]*\)","key":"\([A-Za-z0-9._/-]*\)","size":\([0-9]*\),"sha256":"\([0-9a-f]\{64\}\)","compression":"[a-z]*"}.*$/\1 \2 \3 \4/p' \
	"$STAGE/manifest.json" >"$STAGE/.artifacts"
listed=$(grep -c '"sha256"' "$STAGE/manifest.json" || true)
parsed=$(wc -l <"$STAGE/.artifacts" | tr -d ' ')
if ! { [ "$parsed" -gt 0 ] && [ "$parsed" = "$listed" ]; }; then
	die "manifest of $set_key is not in the expected format ($parsed of $listed artifacts readable)"
fi
grep -q "\"backupId\": \"$GGB_BACKUP_ID\"" "$STAGE/manifest.json" || die "manifest of $set_key names another backup id"

# discard REASON: empties what was fetched, then dies.
discard() {
	while read -r name _; do rm -f "${STAGE:?}/$name"; done <"$STAGE/.artifacts"
	die "$1"
}

while read -r name key size sha; do
	# Under the set (a run folder or none), with no '.' or '..' part that could lead out of it.
	case "$key" in
	*/./* | */../* | */. | */.. | *//*) discard "manifest of $set_key lists $key outside the set" ;;
	"$set_key/"*) ;;
	*) discard "manifest of $set_key lists $key outside the set" ;;
	esac
	log "downloading $name ($size bytes)"
	# </dev/null: the loop reads the artifact list on stdin, which no tool may consume.
	err=$(s3 s3 cp --only-show-errors --no-progress "s3://$GGB_S3_BUCKET/$key" "$STAGE/$name" 2>&1 </dev/null) ||
		discard "download of $key failed: $(first_line_of "$err")"
	got_size=$(size_of "$STAGE/$name")
	[ "$got_size" = "$size" ] || discard "artifact $name is $got_size bytes, the manifest says $size: corrupted or truncated; refusing to restore"
	got_sha=$(sha256_of "$STAGE/$name")
	[ "$got_sha" = "$sha" ] || discard "artifact $name has sha256 $got_sha, the manifest says $sha: corrupted; refusing to restore"
done <"$STAGE/.artifacts"
cp "$STAGE/.artifacts" "$STAGE/.fetch-complete"
log "set $set_key verified: $parsed artifacts"
