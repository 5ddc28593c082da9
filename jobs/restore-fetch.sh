#!/bin/sh
# First step of every restore (init container, aws-cli image): downloads one committed set
# into the staging folder and verifies every artifact's size and sha256 against its manifest
# before anything touches the target. On any mismatch the staging folder is emptied.
#
# Encrypted artifacts (manifest formatVersion 2, "codecs" ending in age) are decrypted once their
# stored bytes passed: with the identity file GGB_AGE_IDENTITY_FILE, which only this container
# mounts. age authenticates every 64 KiB chunk and the end of the file, so a changed byte, a
# wrong key or a set made for other recipients fails here, before any step touches the target.
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
# .set (the set's fields as NAME=VALUE lines) and .artifacts (name key size sha256 codec
# encryption recipients: the compression, the encryption after it or none, the recipients
# comma-separated or -). Version 1 has one "compression"; version 2 the chain "codecs".
JQ=${GGB_JQ:-jq}
command -v "$JQ" >/dev/null 2>&1 || die "jq is not in this image (the amazon/aws-cli image has it); set fetchImage to an image with the aws CLI and jq"
# manifest_field FILTER: one value of the manifest (jq -r), or dies naming the manifest as unreadable.
manifest_field() {
	"$JQ" -er "$1" "$STAGE/manifest.json" 2>/dev/null || die "manifest of $set_key is not in the expected format (no $1)"
}
version=$(manifest_field '.formatVersion')
case "$version" in 1 | 2) ;; *) die "manifest of $set_key has formatVersion $version; this version reads 1 and 2" ;; esac
[ "$(manifest_field '.component')" = "$GGB_COMPONENT" ] || die "manifest of $set_key names another part"
[ "$(manifest_field '.backupId')" = "$GGB_BACKUP_ID" ] || die "manifest of $set_key names another backup id"
format=$(manifest_field '.format')
case "$format" in "" | *[!a-z0-9-]*) die "manifest of $set_key has format '$format', not a format name" ;; esac
printf 'component=%s\nbackupId=%s\nformat=%s\n' "$GGB_COMPONENT" "$GGB_BACKUP_ID" "$format" >"$STAGE/.set"
# The part's details (absent from older manifests) follow as detail.NAME=VALUE, one a line:
# names as upload.sh accepts them, values folded onto their line.
"$JQ" -r '(.details // {}) | to_entries[] | select(.key | test("^[a-z][A-Za-z0-9]*$")) | "detail.\(.key)=\(.value | tostring | gsub("[\n\r]"; " "))"' "$STAGE/manifest.json" >>"$STAGE/.set" 2>/dev/null ||
	die "manifest of $set_key is not in the expected format (its details are unreadable)"
"$JQ" -r '.artifacts[] | [.name, .key, (.size | tostring), .sha256,
	(if has("codecs") then .codecs[0] else .compression end),
	(if has("codecs") then (.codecs[1:] | map(tostring) | join("+")) else "" end | if . == "" then "none" else . end),
	((.recipients // []) | map(tostring) | if length == 0 then "-" else join(",") end)] | map(tostring) | join(" ")' "$STAGE/manifest.json" >"$STAGE/.artifacts" 2>/dev/null ||
	die "manifest of $set_key is not in the expected format (its artifacts are unreadable)"
listed=$(manifest_field '.artifacts | length')
parsed=$(wc -l <"$STAGE/.artifacts" | tr -d ' ')
if ! { [ "$parsed" -gt 0 ] && [ "$parsed" = "$listed" ]; }; then
	die "manifest of $set_key is not in the expected format ($parsed of $listed artifacts readable)"
fi
# Every line as the upload step would have written it: the same name rule, no name twice (two
# artifacts downloaded to one file would pass one's checksum with the other's bytes).
seen=" " encrypted=""
while read -r name key size sha codec encryption recipients extra; do
	[ -z "${extra:-}" ] || die "manifest of $set_key lists an artifact with a space in a field"
	check_value artifactName "artifact name in the manifest of $set_key" "$name"
	case "$seen" in *" $name "*) die "manifest of $set_key lists artifact $name twice" ;; esac
	seen="$seen$name "
	case "$size" in "" | *[!0-9]*) die "manifest of $set_key gives artifact $name the size '$size'" ;; esac
	case "$sha" in *[!0-9a-f]*) die "manifest of $set_key gives artifact $name the sha256 '$sha'" ;; esac
	[ "${#sha}" = 64 ] || die "manifest of $set_key gives artifact $name the sha256 '$sha'"
	check_codec "$codec"
	check_encryption "$encryption" "encryption of artifact $name in the manifest of $set_key"
	if [ "$encryption" = age ]; then
		[ "$recipients" != - ] || die "manifest of $set_key gives the encrypted artifact $name no recipients"
		encrypted=$recipients
	fi
	: "$key"
done <"$STAGE/.artifacts"
# refuse REASON: dies before any download, leaving nothing an apply step could take for a set.
refuse() {
	rm -f "$STAGE/.set"
	die "$1"
}
# An encrypted set is refused before its first download when nothing here can decrypt it.
if [ -n "$encrypted" ]; then
	[ -n "${GGB_AGE_IDENTITY_FILE:-}" ] || refuse "set $set_key is encrypted to $encrypted: give the restore (or the drill) the age identity of one of them"
	[ -r "$GGB_AGE_IDENTITY_FILE" ] || refuse "the age identity file $GGB_AGE_IDENTITY_FILE is not readable"
	age_command
fi

# discard REASON: empties what was fetched, then dies.
discard() {
	while read -r name _; do rm -f "${STAGE:?}/$name"; done <"$STAGE/.artifacts"
	rm -f "$STAGE/.set"
	die "$1"
}

while read -r name key size sha _codec encryption recipients; do
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
	if [ "$encryption" = age ]; then
		# Beside it, then over it: the staging folder holds both for a moment.
		err=$("$AGE" -d -i "$GGB_AGE_IDENTITY_FILE" -o "$STAGE/$name.plain" "$STAGE/$name" 2>&1 </dev/null) || {
			rm -f "$STAGE/$name.plain"
			discard "artifact $name does not decrypt ($(first_line_of "$err")): it is encrypted to $recipients; refusing to restore"
		}
		mv -f "$STAGE/$name.plain" "$STAGE/$name" || discard "cannot replace $name by its decrypted content"
		log "decrypted $name"
	fi
done <"$STAGE/.artifacts"
cp "$STAGE/.artifacts" "$STAGE/.fetch-complete"
log "set $set_key verified: $parsed artifacts"
