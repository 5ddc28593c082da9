#!/bin/sh
# Dump step of the redis backup (dump container, redis image), streamed to the upload step: a
# fresh RDB snapshot over the replication protocol (redis-cli --rdb), compressed. The password
# comes in REDISCLI_AUTH, which redis-cli reads itself, so it is never on a command line.
set -eu
# shellcheck source=jobs/lib.sh
. "${0%/*}/lib.sh"
# shellcheck source=sources/redis/rdb-keys.sh
. "${0%/*}/rdb-keys.sh"
GGB_STEP=dump-redis

open_channel
need GGB_REDIS_HOST GGB_REDIS_PORT GGB_COMPRESSION
check_compression_tool
check_call_timeout

# TLS (GGB_REDIS_TLS=1): the server's certificate must be signed by GGB_REDIS_TLS_CA (PEM, from a
# Secret, written to a temp file for redis-cli and removed on exit) or a system CA; redis-cli does
# not check the name in it. GGB_REDIS_TLS_SERVER_NAME (default the host) is sent as SNI.
ca_file=
case "${GGB_REDIS_TLS:-}" in
'') ;;
1)
	redis-cli --help 2>&1 | grep -q -- '--tls' || die "redis-cli in this image has no TLS (--tls); use an image built with TLS, such as redis:7.2-alpine"
	if [ -n "${GGB_REDIS_TLS_CA:-}" ]; then
		ca_file=$(mktemp "${TMPDIR:-/tmp}/redis-ca.XXXXXX")
		trap 'rm -f "$ca_file"' EXIT
		printf '%s\n' "$GGB_REDIS_TLS_CA" >"$ca_file"
	fi
	;;
*) die "GGB_REDIS_TLS '$GGB_REDIS_TLS' is not 1 or empty" ;;
esac

# redis RUNNER ARGS...: redis-cli against the configured server, as the configured ACL user,
# over TLS when configured, run through RUNNER (`command`, or `bounded` of lib.sh).
redis() {
	_redis_run=$1
	shift
	set -- --no-auth-warning -h "$GGB_REDIS_HOST" -p "$GGB_REDIS_PORT" "$@"
	[ -z "${GGB_REDIS_USER:-}" ] || set -- --user "$GGB_REDIS_USER" "$@"
	if [ -n "${GGB_REDIS_TLS:-}" ]; then
		[ -z "$ca_file" ] || set -- --cacert "$ca_file" "$@"
		set -- --tls --sni "${GGB_REDIS_TLS_SERVER_NAME:-$GGB_REDIS_HOST}" "$@"
	fi
	"$_redis_run" redis-cli "$@"
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
rc=0
out=$(redis command --rdb "$rdb" 2>&1) || rc=$?
if [ "$rc" != 0 ]; then
	# The snapshot is the replication protocol's SYNC: say plainly when the server will not serve it.
	case "$out" in
	*"SYNC with master failed: -NOPERM"*)
		die "Redis user '${GGB_REDIS_USER:-default}' may not run SYNC, which the snapshot (redis-cli --rdb) is taken with: grant it, e.g. ACL SETUSER ${GGB_REDIS_USER:-default} +sync +replconf +info" ;;
	*"SYNC with master failed: -ERR unknown command"*)
		die "Redis at $GGB_REDIS_HOST:$GGB_REDIS_PORT does not serve SYNC, which the snapshot (redis-cli --rdb) is taken with: managed services block it (ElastiCache, MemoryDB, Azure Cache for Redis, Memorystore); back such a Redis up with the service's own snapshots (ElastiCache: automatic backups, or a manual backup exported to S3) and set redis.enabled: false here; a self-hosted server may have renamed the command (rename-command SYNC)" ;;
	*) die "redis-cli --rdb failed: $(error_line_of "$out")" ;;
	esac
fi
[ -s "$rdb" ] || die "redis-cli --rdb wrote an empty snapshot: $(error_line_of "$out")"
case "$(head -c 5 "$rdb")" in
REDIS) ;;
*) die "the snapshot from $GGB_REDIS_HOST:$GGB_REDIS_PORT is not an RDB file" ;;
esac
# What the snapshot holds, for the restore drills to check a loaded copy against (read from the
# file uploaded, not asked of the live server, which changes meanwhile). Not recorded when this
# image's redis-check-rdb cannot read it: the backup itself does not depend on it.
facts=$(rdb_facts "$rdb")
if [ -n "$facts" ]; then
	keys=${facts%% *}
	databases=""
	[ "$facts" = "$keys" ] || databases=${facts#* }
	meta detail.keys "$keys"
	# NUMBER:KEYS of each database that holds keys.
	meta detail.databases "$databases"
	log "the snapshot holds $keys keys"
else
	log "redis-check-rdb cannot read the snapshot; its key count is not recorded (a drill then checks only that it loads)"
fi
ext=$(compression_ext)
send "dump.rdb$ext" compress cat "$rdb"
rm -f "$rdb"
close_channel
