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
rm -f "$STAGE/.fetch-complete" "$STAGE/.set"

# The tools' errors are kept in memory: on a full staging volume an error file would stay empty.
err=$(s3_get "$set_key/manifest.json" "$STAGE/manifest.json" 2>&1) ||
	die "set $set_key has no readable manifest (incomplete or missing set): $(first_line_of "$err")"

# The manifest is read with jq (the aws-cli image ships it): any field order, unknown fields
# ignored. The apply steps, in images without jq, read what this leaves beside the artifacts:
# .set (the set's fields as NAME=VALUE lines) and .artifacts (name key size sha256 codec).
JQ=${GGB_JQ:-jq}
command -v "$JQ" >/dev/null 2>&1 || die "jq is not in this image (the amazon/aws-cli image has it); set fetchImage to an image with the aws CLI and jq"
# manifest_field FILTER: one value of the manifest (jq -r), or dies naming the manifest as unreadable.
manifest_field() {
	"$JQ" -er "$1" "$STAGE/manifest.json" 2>/dev/null || die "manifest of $set_key is not in the expected format (no $1)"
}
[ "$(manifest_field '.formatVersion')" = 1 ] || die "manifest of $set_key has formatVersion $(manifest_field '.formatVersion'); this version reads 1"
[ "$(manifest_field '.component')" = "$GGB_COMPONENT" ] || die "manifest of $set_key names another part"
[ "$(manifest_field '.backupId')" = "$GGB_BACKUP_ID" ] || die "manifest of $set_key names another backup id"
format=$(manifest_field '.format')
case "$format" in "" | *[!a-z0-9-]*) die "manifest of $set_key has format '$format', not a format name" ;; esac
printf 'component=%s\nbackupId=%s\nformat=%s\n' "$GGB_COMPONENT" "$GGB_BACKUP_ID" "$format" >"$STAGE/.set"
# The part's details (absent from older manifests) follow as detail.NAME=VALUE, one a line:
# names as upload.sh accepts them, values folded onto their line.
"$JQ" -r '(.details // {}) | to_entries[] | select(.key | test("^[a-z][A-Za-z0-9]*$")) | "detail.\(.key)=\(.value | tostring | gsub("[\n\r]"; " "))"' "$STAGE/manifest.json" >>"$STAGE/.set" 2>/dev/null ||
	die "manifest of $set_key is not in the expected format (its details are unreadable)"
"$JQ" -r '.artifacts[] | [.name, .key, (.size | tostring), .sha256, .compression] | map(tostring) | join(" ")' "$STAGE/manifest.json" >"$STAGE/.artifacts" 2>/dev/null ||
	die "manifest of $set_key is not in the expected format (its artifacts are unreadable)"
listed=$(manifest_field '.artifacts | length')
parsed=$(wc -l <"$STAGE/.artifacts" | tr -d ' ')
if ! { [ "$parsed" -gt 0 ] && [ "$parsed" = "$listed" ]; }; then
	die "manifest of $set_key is not in the expected format ($parsed of $listed artifacts readable)"
fi
# Every line as the upload step would have written it: the same name rule, no name twice (two
# artifacts downloaded to one file would pass one's checksum with the other's bytes).
seen=" "
while read -r name key size sha codec extra; do
	[ -z "${extra:-}" ] || die "manifest of $set_key lists an artifact with a space in a field"
	check_value artifactName "artifact name in the manifest of $set_key" "$name"
	case "$seen" in *" $name "*) die "manifest of $set_key lists artifact $name twice" ;; esac
	seen="$seen$name "
	case "$size" in "" | *[!0-9]*) die "manifest of $set_key gives artifact $name the size '$size'" ;; esac
	case "$sha" in *[!0-9a-f]*) die "manifest of $set_key gives artifact $name the sha256 '$sha'" ;; esac
	[ "${#sha}" = 64 ] || die "manifest of $set_key gives artifact $name the sha256 '$sha'"
	check_codec "$codec"
	: "$key"
done <"$STAGE/.artifacts"

# discard REASON: empties what was fetched, then dies.
discard() {
	while read -r name _; do rm -f "${STAGE:?}/$name"; done <"$STAGE/.artifacts"
	rm -f "$STAGE/.set"
	die "$1"
}

while read -r name key size sha _codec; do
	# Under the set (a run folder or none), with no '.' or '..' part that could lead out of it.
	case "$key" in
	*/./* | */../* | */. | */.. | *//*) discard "manifest of $set_key lists $key outside the set" ;;
	"$set_key/"*) ;;
	*) discard "manifest of $set_key lists $key outside the set" ;;
	esac
	log "downloading $name ($size bytes)"
	# </dev/null: the loop reads the artifact list on stdin, which no tool may consume.
	err=$(s3_get "$key" "$STAGE/$name" 2>&1 </dev/null) ||
		discard "download of $key failed: $(first_line_of "$err")"
	got_size=$(size_of "$STAGE/$name")
	[ "$got_size" = "$size" ] || discard "artifact $name is $got_size bytes, the manifest says $size: corrupted or truncated; refusing to restore"
	got_sha=$(sha256_of "$STAGE/$name")
	[ "$got_sha" = "$sha" ] || discard "artifact $name has sha256 $got_sha, the manifest says $sha: corrupted; refusing to restore"
done <"$STAGE/.artifacts"
cp "$STAGE/.artifacts" "$STAGE/.fetch-complete"
log "set $set_key verified: $parsed artifacts"
