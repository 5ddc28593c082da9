#!/bin/sh
# Apply step of the redis restore: runs with the server stopped and its data volume mounted
# (after restore-fetch.sh verified the set). Places the RDB as the server's dbfilename, and
# also as the base of a new AOF: with appendonly yes, Redis 7 loads only its AOF folder at start,
# and when there is none it creates an empty one and ignores the RDB. The existing AOF folder
# and RDB are kept beside (*.before-restore-<time>), never deleted.
# The AOF file names are Redis' defaults (appendfilename "appendonly.aof").
set -eu
# shellcheck source=jobs/lib.sh
. "${0%/*}/lib.sh"
# shellcheck source=sources/redis/rdb-keys.sh
. "${0%/*}/rdb-keys.sh"
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
if [ -e "$DATA/$AOF_DIR" ] && ! [ -d "$DATA/$AOF_DIR" ]; then die "$DATA/$AOF_DIR is not a folder; data untouched"; fi

# What the server would load holds data: keys in its RDB or its AOF base, or commands in an
# AOF increment. A fresh server's files (no keys, empty increment) are not data.
live_data() {
	_ld=""
	for _f in "$DATA/$RDB_NAME" "$DATA/$AOF_DIR"/*.base.rdb "$DATA/$AOF_DIR"/*.base.aof; do
		[ -f "$_f" ] || continue
		_n=$(rdb_keys "$_f")
		if [ -z "$_n" ]; then _ld="$_ld${_ld:+, }${_f##*/} (its keys cannot be counted)"; elif [ "$_n" != 0 ]; then _ld="$_ld${_ld:+, }$_n keys in ${_f##*/}"; fi
	done
	for _f in "$DATA/$AOF_DIR"/*.incr.aof; do
		if [ -s "$_f" ]; then _ld="$_ld${_ld:+, }commands in ${_f##*/}"; fi
	done
	printf '%s' "$_ld"
}
held=$(live_data)
if [ -n "$held" ] && [ "${GGB_OVERWRITE:-}" != true ]; then
	die "target Redis data in $DATA is not empty ($held); set overwrite to replace it; data untouched"
fi
[ -z "$held" ] || log "overwrite: replacing the target's data ($held), kept beside as *.before-restore-<time>"

file=$(find "$STAGE" -maxdepth 1 -name 'dump.rdb*' | head -n 1)
[ -n "$file" ] || die "set has no dump.rdb artifact; data untouched"
# Unlinked first, not truncated: after an interrupted run it may be a hard link of the live AOF base.
rm -f "$DATA/.$RDB_NAME.restoring"
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

# Why the steps below run in this order: the Job can be killed between any two of them (a
# timeout, an evicted pod), and the server is then started on whatever is on the volume. With
# appendonly yes Redis 7 loads only the files its AOF manifest names, and with appendonly no
# only the RDB; so nothing live is removed or overwritten in place, the new AOF files go into
# the live folder under names the old manifest does not know, and each switch is one rename(2)
# replacing one name (the manifest, then the RDB). Every state in between starts as the old
# data or the new, and the old data stays beside as *.before-restore-<time> (hard links).
aof_live="$DATA/$AOF_DIR"
aof_new="$DATA/.$AOF_DIR.restoring"
manifest=appendonly.aof.manifest
# A sequence above every one the live manifest names (history files too): the new files then
# replace nothing Redis may load, only leftovers of an interrupted run.
seq=1
if [ -f "$aof_live/$manifest" ]; then
	seq=$(awk '{ for (i = 1; i < NF; i++) if ($i == "seq" && $(i + 1) + 0 > max) max = $(i + 1) + 0 } END { print max + 1 }' "$aof_live/$manifest")
fi
base="appendonly.aof.$seq.base.rdb"
incr="appendonly.aof.$seq.incr.aof"

# The new AOF folder: the snapshot as its base (an AOF base may be an RDB file; a hard link
# when the volume allows, so no second copy), an empty increment, and the manifest naming both.
rm -rf "$aof_new"
{
	mkdir "$aof_new" &&
		{ ln "$DATA/.$RDB_NAME.restoring" "$aof_new/$base" 2>/dev/null ||
			cp "$DATA/.$RDB_NAME.restoring" "$aof_new/$base"; } &&
		: >"$aof_new/$incr" &&
		printf 'file %s seq %s type b\nfile %s seq %s type i\n' "$base" "$seq" "$incr" "$seq" >"$aof_new/$manifest"
} 2>"$STAGE/.stderr" || {
	rm -rf "$aof_new" "$DATA/.$RDB_NAME.restoring"
	die "preparing the AOF folder in $DATA failed (volume full?): $(first_line "$STAGE/.stderr"); data untouched"
}

# The old data, kept before anything live changes: hard links (copies where the volume has
# none). A re-run within the same second must not add its files to an earlier run's copy.
now=$(date -u +%Y%m%dT%H%M%SZ)
stamp=$now
n=1
while [ -e "$aof_live.before-restore-$stamp" ] || [ -e "$DATA/$RDB_NAME.before-restore-$stamp" ]; do
	n=$((n + 1))
	stamp="$now-$n"
done
# keep PATH: PATH.before-restore-<stamp>, hard links of PATH's files where the volume allows.
keep() {
	{ cp -al "$1" "$1.before-restore-$stamp" 2>/dev/null ||
		{ rm -rf "$1.before-restore-$stamp" && cp -a "$1" "$1.before-restore-$stamp"; }; } 2>"$STAGE/.stderr" || {
		rm -rf "$aof_new" "$DATA/.$RDB_NAME.restoring" "$aof_live.before-restore-$stamp" "$DATA/$RDB_NAME.before-restore-$stamp"
		die "keeping a copy of $1 failed (volume full?): $(first_line "$STAGE/.stderr"); data untouched"
	}
	log "kept ${1##*/} as ${1##*/}.before-restore-$stamp"
}
[ ! -d "$aof_live" ] || keep "$aof_live"
[ ! -e "$DATA/$RDB_NAME" ] || keep "$DATA/$RDB_NAME"

if [ -d "$aof_live" ]; then
	mv -f "$aof_new/$base" "$aof_live/$base"
	mv -f "$aof_new/$incr" "$aof_live/$incr"
	mv -f "$aof_new/$manifest" "$aof_live/$manifest"
	rm -rf "$aof_new"
else
	mv "$aof_new" "$aof_live"
fi
mv -f "$DATA/.$RDB_NAME.restoring" "$DATA/$RDB_NAME"
# The old AOF files are in the copy; Redis would keep them forever, named by no manifest.
for f in "$aof_live"/*; do
	case "${f##*/}" in
	"$base" | "$incr" | "$manifest") ;;
	*) rm -f "$f" ;;
	esac
done
log "placed $(size_of "$DATA/$RDB_NAME") bytes as $DATA/$RDB_NAME and as the base of $DATA/$AOF_DIR"
