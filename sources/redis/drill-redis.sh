#!/bin/sh
# The redis step of a restore drill (init container, redis image): places the fetched snapshot in
# a scratch data folder with the restore's own apply step (restore-redis.sh), starts a scratch
# redis-server on it, and checks that the server loads it with the keys the backup recorded
# (dump-redis.sh: the manifest's details keys and databases, read from the snapshot uploaded),
# in total and per database.
# The scratch server has no TCP port (port 0), only a Unix socket in the drill's emptyDir: a drill
# cannot reach the live Redis, nor the live one it.
set -eu
# shellcheck source=jobs/lib.sh
. "${0%/*}/lib.sh"
# shellcheck source=jobs/drill-lib.sh
. "${0%/*}/drill-lib.sh"
GGB_STEP=drill-redis

drill_part_begin redis
scratch=$SCRATCH
mkdir -p "$scratch/data"
err="$scratch/step.err"
socket="$scratch/redis.sock"
# scratch_cli ARGS...: redis-cli on the scratch server's socket, which has no password (a
# REDISCLI_AUTH in the env is not for it).
scratch_cli() {
	env -u REDISCLI_AUTH redis-cli -s "$socket" "$@"
}

timed env GGB_STAGING_DIR="$STAGE/redis" GGB_REDIS_DATA_DIR="$scratch/data" sh "${0%/*}/restore-redis.sh" 2>"$err"
record_phase redis apply "$TIMED_SECONDS" recovery
record_timed redis restore "the snapshot was placed as the RDB and the base of a new AOF" "$err" || exit 0

# As the live server would start on it: appendonly yes (the restore prepared the AOF folder).
start=$(date -u +%s)
redis-server --port 0 --unixsocket "$socket" --unixsocketperm 700 --dir "$scratch/data" --appendonly yes --save '' \
	--logfile "$scratch/server.log" --daemonize no </dev/null >/dev/null 2>&1 &
server=$!
# The server goes before its data does (drill_part_end).
trap 'kill "$server" 2>/dev/null || true; drill_part_end' EXIT
loaded=""
while :; do
	if ! kill -0 "$server" 2>/dev/null; then break; fi
	if [ -S "$socket" ] && [ "$(scratch_cli INFO persistence 2>/dev/null | sed -n 's/^loading:\([0-9]\).*/\1/p')" = 0 ]; then
		loaded=yes
		break
	fi
	if past_deadline; then break; fi
	sleep 0.2
done
took=$(($(date -u +%s) - start))
record_phase redis load "$took" recovery
if [ -z "$loaded" ]; then
	if kill -0 "$server" 2>/dev/null; then
		record_check redis load timedOut "$took" "the scratch server was still loading the snapshot at the drill's deadline"
	else
		record_check redis load failed "$took" "the scratch server did not start on the snapshot: $(grep -v '^[[:space:]]*$' "$scratch/server.log" 2>/dev/null | tail -n 1)"
	fi
	exit 0
fi
keyspace=$(scratch_cli INFO keyspace | tr -d '\r' | sed -n 's/^db\([0-9][0-9]*\):keys=\([0-9][0-9]*\),.*/\1 \2/p')
expired=$(scratch_cli INFO persistence | tr -d '\r' | sed -n 's/^rdb_last_load_keys_expired:\([0-9][0-9]*\)$/\1/p')
scratch_cli SHUTDOWN NOSAVE >/dev/null 2>&1 || true
wait "$server" 2>/dev/null || true
trap drill_part_end EXIT
total=$(printf '%s\n' "$keyspace" | awk 'NF == 2 { n += $2 } END { print n + 0 }')
per_db=$(printf '%s\n' "$keyspace" | awk 'NF == 2 { printf "%sdb%s %s", sep, $1, $2; sep = ", " }')
record_check redis load passed "$took" "the scratch server loaded $total keys${per_db:+ ($per_db)}"

want=$(part_field redis detail.keys)
if [ -z "$want" ]; then
	record_check redis keys skipped 0 "the set does not record its key count (made before that, or unreadable to redis-check-rdb at backup)"
	exit 0
fi
# Keys whose TTL ran out since the backup are dropped as the server loads: they count as loaded.
got=$((total + ${expired:-0}))
problem=""
[ "$got" = "$want" ] || problem="the scratch server loaded $total keys (${expired:-0} expired at load), the backup recorded $want"
# Per database (NUMBER:KEYS, dump-redis.sh): exactly the recorded count when no key expired at
# load, else at most it (which database the expired keys were in is not known).
per_db=""
for entry in $(part_field redis detail.databases); do
	db=${entry%%:*} recorded=${entry#*:}
	case "$entry" in *:*) ;; *) recorded="?" ;; esac
	loaded=$(printf '%s\n' "$keyspace" | awk -v db="$db" '$1 == db { print $2 }')
	loaded=${loaded:-0}
	per_db="$per_db${per_db:+, }db$db $loaded"
	case "$recorded" in "" | *[!0-9]*) continue ;; esac
	if [ "${expired:-0}" = 0 ] && [ "$loaded" != "$recorded" ]; then
		problem="$problem${problem:+; }database $db has $loaded keys, the backup recorded $recorded"
	elif [ "$loaded" -gt "$recorded" ]; then
		problem="$problem${problem:+; }database $db has $loaded keys, more than the $recorded the backup recorded"
	fi
done
if [ -n "$problem" ]; then
	record_check redis keys failed 0 "$problem"
else
	record_check redis keys passed 0 "$want keys${per_db:+ ($per_db)}, as the backup recorded"
fi
