#!/bin/sh
# Upload step of every backup (main container, aws-cli image): checksums each staged artifact,
# uploads it under <prefix>/<component>/<backupId>/, then writes manifest.json last. The
# manifest is the commit marker: a set without one is never chosen for a restore.
set -eu
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "${0%/*}/lib.sh"
GGB_STEP=upload

need GGB_STAGING_DIR
need_s3
STAGE=$GGB_STAGING_DIR
if [ ! -f "$STAGE/.dump-complete" ] || [ ! -f "$STAGE/.meta" ]; then
	die "the dump step did not complete in $STAGE; nothing uploaded"
fi

# Metadata written by the dump step: key=value lines.
backupId='' startedAt='' tool='' toolVersion='' serverVersion='' format=''
while IFS='=' read -r key value; do
	case "$key" in
	backupId) backupId=$value ;;
	startedAt) startedAt=$value ;;
	tool) tool=$value ;;
	toolVersion) toolVersion=$value ;;
	serverVersion) serverVersion=$value ;;
	format) format=$value ;;
	esac
done <"$STAGE/.meta"
check_backup_id "$backupId"
set_key="$GGB_S3_PREFIX/$GGB_COMPONENT/$backupId"

# An existing manifest means this set is already committed: never overwrite a finished set.
if s3 s3api head-object --bucket "$GGB_S3_BUCKET" --key "$set_key/manifest.json" >/dev/null 2>&1; then
	die "set $set_key already has a manifest; refusing to overwrite it"
fi

# Nothing is written to the staging folder (it may be full): the artifact lines, the manifest
# and the tools' errors are kept in memory.
artifacts=""
count=0
total=0
for file in "$STAGE"/*; do
	[ -f "$file" ] || continue
	name=${file##*/}
	case "$name" in
	*.gz) compression=gzip ;;
	*.zst) compression=zstd ;;
	*) compression=none ;;
	esac
	size=$(size_of "$file")
	sha=$(sha256_of "$file")
	log "uploading $name ($size bytes, sha256 $sha)"
	err=$(s3 s3 cp --only-show-errors --no-progress "$file" "s3://$GGB_S3_BUCKET/$set_key/$name" 2>&1) ||
		die "upload of $name to s3://$GGB_S3_BUCKET/$set_key/ failed: $(first_line_of "$err")"
	line=$(printf '    {"name":"%s","key":"%s","size":%s,"sha256":"%s","compression":"%s"}' \
		"$(json_str "$name")" "$(json_str "$set_key/$name")" "$size" "$sha" "$compression")
	if [ "$count" = 0 ]; then
		artifacts=$line
	else
		artifacts="$artifacts,
$line"
	fi
	count=$((count + 1))
	total=$((total + size))
done
[ "$count" -gt 0 ] || die "no artifact in $STAGE; nothing uploaded"

manifest=$(
	printf '{\n'
	printf '  "formatVersion": 1,\n'
	printf '  "component": "%s",\n' "$GGB_COMPONENT"
	printf '  "backupId": "%s",\n' "$backupId"
	printf '  "startedAt": "%s",\n' "$(json_str "$startedAt")"
	printf '  "finishedAt": "%s",\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	printf '  "format": "%s",\n' "$(json_str "$format")"
	printf '  "tool": {"name": "%s", "version": "%s"},\n' "$(json_str "$tool")" "$(json_str "$toolVersion")"
	printf '  "server": {"version": "%s"},\n' "$(json_str "$serverVersion")"
	printf '  "artifacts": [\n'
	printf '%s\n' "$artifacts"
	printf '  ]\n}\n'
)
err=$(printf '%s\n' "$manifest" | s3 s3 cp --only-show-errors --no-progress --content-type application/json - "s3://$GGB_S3_BUCKET/$set_key/manifest.json" 2>&1) ||
	die "writing the manifest of $set_key failed: $(first_line_of "$err")"
log "set $set_key committed: $count artifacts, $total bytes"
