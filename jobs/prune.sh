#!/bin/sh
# The retention of the sets, as a job of its own (the bucket's lifecycle cannot count sets, so it
# expires none): for each part, deletes the sets older than GGB_RETENTION_DAYS except the newest
# GGB_KEEP_LAST complete ones, whatever their age, so that backups failing for longer than the
# retention never leave a part without a set to restore. A set without a manifest is deleted
# once it is older than the retention (its upload has long ended); a newer one is left alone.
# Runs as an identity of its own that may list the prefix and delete under it, nothing more.
# With versioning, a delete leaves noncurrent versions, which the lifecycle expires later.
set -eu
# shellcheck source=jobs/lib.sh
. "${0%/*}/lib.sh"
GGB_STEP=prune

need GGB_S3_BUCKET GGB_S3_PREFIX GGB_RETENTION_DAYS GGB_KEEP_LAST GGB_PARTS
check_value bucket GGB_S3_BUCKET "$GGB_S3_BUCKET"
check_value prefix GGB_S3_PREFIX "$GGB_S3_PREFIX"
check_value retentionDays GGB_RETENTION_DAYS "$GGB_RETENTION_DAYS"
check_value keepLast GGB_KEEP_LAST "$GGB_KEEP_LAST"

# Set ids are UTC times that sort as text: a set is older than the retention when its id sorts
# before the id of that moment.
now=$(date -u +%s)
cutoff=$(date -u -d "@$((now - GGB_RETENTION_DAYS * 86400))" +%Y%m%dT%H%M%SZ) ||
	die "cannot compute the retention's cutoff with this date command"
check_backup_id "$cutoff"
work=$(mktemp -d "${TMPDIR:-/tmp}/prune.XXXXXX")
trap 'rm -rf "$work"' EXIT
log "sets older than $cutoff ($GGB_RETENTION_DAYS days) go, except the newest $GGB_KEEP_LAST complete ones of each part"

failed=0
rest="$GGB_PARTS,"
while [ -n "$rest" ]; do
	part=${rest%%,*}
	rest=${rest#*,}
	[ -n "$part" ] || continue
	check_value partName "part '$part' of GGB_PARTS, which" "$part"
	base="$GGB_S3_PREFIX/$part/"
	err=$(s3_list_keys "$base" "$work/keys" 2>&1) || die "cannot list s3://$GGB_S3_BUCKET/$base: $(error_line_of "$err")"
	# Set ids are UTC times that sort as text, so a set is old when its id sorts before the cutoff.
	sets_in "$base" "$work/keys" | awk -v cutoff="$cutoff" '{ print $1, $2, (($1 < cutoff) ? "old" : "recent") }' >"$work/sets"
	kept=0
	: >"$work/doomed"
	while read -r id state age; do
		if [ "$state" = complete ] && [ "$kept" -lt "$GGB_KEEP_LAST" ]; then
			kept=$((kept + 1))
			[ "$age" = recent ] || log "$part/$id: kept although older than the retention (one of the newest $GGB_KEEP_LAST complete sets)"
			continue
		fi
		[ "$age" = old ] || continue
		log "$part/$id: deleted ($state, older than the retention)"
		grep -F "$base$id/" "$work/keys" >>"$work/doomed" || true
	done <"$work/sets"
	[ "$kept" -gt 0 ] || log "$part: no complete set at all under s3://$GGB_S3_BUCKET/$base"
	# One request per 1000 keys, as S3 takes them.
	split -l 1000 "$work/doomed" "$work/batch." 2>/dev/null || true
	for batch in "$work"/batch.*; do
		[ -s "$batch" ] || continue
		err=$(s3_delete_keys "$batch" 2>&1) || die "cannot delete under s3://$GGB_S3_BUCKET/$base: $(error_line_of "$err")"
		if [ -s "$batch.errors" ]; then
			failed=1
			log "not deleted: $(head -n 1 "$batch.errors") ($(wc -l <"$batch.errors" | tr -d ' ') keys)"
		fi
		rm -f "$batch" "$batch".*
	done
done
[ "$failed" = 0 ] || die "some keys were not deleted (see above); the next run tries again"
log "done"
