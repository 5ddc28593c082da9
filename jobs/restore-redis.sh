#!/bin/sh
# Apply step of the redis restore: runs with the server stopped and its data volume mounted
# (after restore-fetch.sh verified the set). Places the RDB as the server's dbfilename. With
# AOF enabled, Redis loads the AOF instead of the RDB at start, so the existing AOF folder is
# moved aside: without one, Redis loads the RDB and rebuilds its AOF from it.
set -eu
. "${0%/*}/lib.sh"
GGB_STEP=restore-redis

need GGB_STAGING_DIR GGB_REDIS_DATA_DIR
STAGE=$GGB_STAGING_DIR
DATA=$GGB_REDIS_DATA_DIR
RDB_NAME=${GGB_REDIS_RDB_NAME:-dump.rdb}
AOF_DIR=${GGB_REDIS_AOF_DIR:-appendonlydir}
[ -f "$STAGE/.fetch-complete" ] || die "no verified set in $STAGE (restore-fetch.sh did not complete); data untouched"
if ! { [ -d "$DATA" ] && [ -w "$DATA" ]; }; then die "Redis data folder $DATA is missing or not writable"; fi
case "$RDB_NAME$AOF_DIR" in */* | .*) die "GGB_REDIS_RDB_NAME and GGB_REDIS_AOF_DIR must be plain file names" ;; esac

file=$(find "$STAGE" -maxdepth 1 -name 'dump.rdb*' | head -n 1)
[ -n "$file" ] || die "set has no dump.rdb artifact; data untouched"
decompress_by_ext "$file" >"$DATA/.$RDB_NAME.restoring" 2>"$STAGE/.stderr" || {
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

stamp=$(date -u +%Y%m%dT%H%M%SZ)
if [ -e "$DATA/$AOF_DIR" ]; then
	mv "$DATA/$AOF_DIR" "$DATA/$AOF_DIR.before-restore-$stamp"
	log "moved the AOF folder aside to $AOF_DIR.before-restore-$stamp so Redis loads the restored RDB"
fi
if [ -e "$DATA/$RDB_NAME" ]; then
	mv "$DATA/$RDB_NAME" "$DATA/$RDB_NAME.before-restore-$stamp"
fi
mv "$DATA/.$RDB_NAME.restoring" "$DATA/$RDB_NAME"
log "placed $(size_of "$DATA/$RDB_NAME") bytes as $DATA/$RDB_NAME"
