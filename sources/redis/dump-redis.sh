#!/bin/sh
# Dump step of the redis backup (dump container, redis image), streamed to the upload step: a
# fresh RDB snapshot over the replication protocol (redis-cli --rdb), compressed. The password
# comes in REDISCLI_AUTH, which redis-cli reads itself, so it is never on a command line.
set -eu
# shellcheck source=jobs/lib.sh
. "${0%/*}/lib.sh"
GGB_STEP=dump-redis

open_channel
need GGB_REDIS_HOST GGB_REDIS_PORT GGB_COMPRESSION
check_compression_tool
check_call_timeout

# redis RUNNER ARGS...: redis-cli against the configured server, as the configured ACL user, run
# through RUNNER (`command`, or `bounded` of lib.sh).
redis() {
	_redis_run=$1
	shift
	if [ -n "${GGB_REDIS_USER:-}" ]; then
		"$_redis_run" redis-cli --no-auth-warning -h "$GGB_REDIS_HOST" -p "$GGB_REDIS_PORT" --user "$GGB_REDIS_USER" "$@"
	else
		"$_redis_run" redis-cli --no-auth-warning -h "$GGB_REDIS_HOST" -p "$GGB_REDIS_PORT" "$@"
	fi
}

# redis-cli exits 0 on some server errors: read its answer, not only its status.
# Bounded (redis-cli 7.0 has no timeout of its own); the snapshot itself is bounded by the Job's
# deadline only, as its length grows with the dataset.
rc=0
info=$(redis bounded INFO server 2>&1) || rc=$?
[ "$rc" != 124 ] || die "Redis at $GGB_REDIS_HOST:$GGB_REDIS_PORT did not answer INFO within $CALL_TIMEOUT s (GGB_CALL_TIMEOUT)"
[ "$rc" = 0 ] || die "cannot reach Redis at $GGB_REDIS_HOST:$GGB_REDIS_PORT: $info"
case "$info" in
*redis_version:*) ;;
*) die "Redis at $GGB_REDIS_HOST:$GGB_REDIS_PORT refused INFO: $info" ;;
esac
server_version=$(printf '%s\n' "$info" | sed -n 's/^redis_version:\([^[:space:]]*\).*/\1/p')
meta tool redis-cli
meta format rdb
meta toolVersion "$(redis-cli --version)"
meta serverVersion "$server_version"
log "Redis $server_version at $GGB_REDIS_HOST:$GGB_REDIS_PORT, set $BACKUP_ID"

rdb="$STAGE/.dump.rdb"
rm -f "$rdb"
# Its output is kept in memory: on a full staging volume an error file would stay empty.
out=$(redis command --rdb "$rdb" 2>&1) || die "redis-cli --rdb failed: $(error_line_of "$out")"
[ -s "$rdb" ] || die "redis-cli --rdb wrote an empty snapshot: $(error_line_of "$out")"
case "$(head -c 5 "$rdb")" in
REDIS) ;;
*) die "the snapshot from $GGB_REDIS_HOST:$GGB_REDIS_PORT is not an RDB file" ;;
esac
ext=$(compression_ext)
send "dump.rdb$ext" compress cat "$rdb"
rm -f "$rdb"
close_channel
