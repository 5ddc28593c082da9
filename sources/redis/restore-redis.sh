#!/bin/sh
# Apply step of the redis restore: runs with the server stopped and its data volume mounted
# (after restore-fetch.sh verified the set). Places the RDB as the server's dbfilename, and
# also as the base of a new AOF folder: with appendonly yes, Redis 7 loads only its AOF folder
# at start, and when there is none it creates an empty one and ignores the RDB. The existing
# AOF folder and RDB are moved aside (*.before-restore-<time>), never deleted.
# The AOF file names are Redis' defaults (appendfilename "appendonly.aof").
set -eu
# shellcheck source=jobs/lib.sh
. "${0%/*}/lib.sh"
GGB_STEP=restore-redis

need GGB_STAGING_DIR GGB_REDIS_DATA_DIR
STAGE=$GGB_STAGING_DIR
DATA=$GGB_REDIS_DATA_DIR
RDB_NAME=${GGB_REDIS_RDB_NAME:-dump.rdb}
AOF_DIR=${GGB_REDIS_AOF_DIR:-appendonlydir}
[ -f "$STAGE/.fetch-complete" ] || die "no verified set in $STAGE (restore-fetch.sh did not complete); data untouched"
if ! { [ -d "$DATA" ] && [ -w "$DATA" ]; }; then die "Redis data folder $DATA is missing or not writable"; fi
for plain_name in "$RDB_NAME" "$AOF_DIR"; do
	case "$plain_name" in "" | */* | .*) die "GGB_REDIS_RDB_NAME and GGB_REDIS_AOF_DIR must be plain file names" ;; esac
done

file=$(find "$STAGE" -maxdepth 1 -name 'dump.rdb*' | head -n 1)
[ -n "$file" ] || die "set has no dump.rdb artifact; data untouched"
decode "$(codec_of "${file##*/}")" "$file" >"$DATA/.$RDB_NAME.restoring" 2>"$STAGE/.stderr" || {
	rm -f "$DATA/.$RDB_NAME.restoring"
	die "unpacking ${file##*/} into $DATA failed: $(first_line "$STAGE/.stderr")"
}
case "$(head -c 5 "$DATA/.$RDB_NAME.restoring")" in
REDIS) ;;
*)
	rm -f "$DATA/.$RDB_NAME.restoring"
	die "${file##*/} is not an RDB file; data untouched"
	;;
esac

# The new AOF folder: the snapshot as its base (an AOF base may be an RDB file; a hard link
# when the volume allows, so no second copy), an empty increment, and the manifest naming both.
aof_new="$DATA/.$AOF_DIR.restoring"
rm -rf "$aof_new"
{
	mkdir "$aof_new" &&
		{ ln "$DATA/.$RDB_NAME.restoring" "$aof_new/appendonly.aof.1.base.rdb" 2>/dev/null ||
			cp "$DATA/.$RDB_NAME.restoring" "$aof_new/appendonly.aof.1.base.rdb"; } &&
		: >"$aof_new/appendonly.aof.1.incr.aof" &&
		printf 'file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n' >"$aof_new/appendonly.aof.manifest"
} 2>"$STAGE/.stderr" || {
	rm -rf "$aof_new" "$DATA/.$RDB_NAME.restoring"
	die "preparing the AOF folder in $DATA failed (volume full?): $(first_line "$STAGE/.stderr"); data untouched"
}

stamp=$(date -u +%Y%m%dT%H%M%SZ)
if [ -e "$DATA/$AOF_DIR" ]; then
	mv "$DATA/$AOF_DIR" "$DATA/$AOF_DIR.before-restore-$stamp"
	log "moved the AOF folder aside to $AOF_DIR.before-restore-$stamp"
fi
if [ -e "$DATA/$RDB_NAME" ]; then
	mv "$DATA/$RDB_NAME" "$DATA/$RDB_NAME.before-restore-$stamp"
fi
mv "$aof_new" "$DATA/$AOF_DIR"
mv "$DATA/.$RDB_NAME.restoring" "$DATA/$RDB_NAME"
log "placed $(size_of "$DATA/$RDB_NAME") bytes as $DATA/$RDB_NAME and as the base of $DATA/$AOF_DIR"
