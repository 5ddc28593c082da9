#!/bin/sh
# Dump step of the postgres backup (init container, postgres image).
# sql:       pg_dumpall, compressed: GitGuardian's documented procedure, restored with psql.
# directory: pg_dumpall --globals-only plus pg_dump -Fd -j N per database (one tar each),
#            restored in parallel with pg_restore -j.
set -eu
. "${0%/*}/lib.sh"
GGB_STEP=dump-postgres

need PGHOST PGPORT PGUSER GGB_PG_FORMAT GGB_COMPRESSION
check_compression_tool
case "$GGB_PG_FORMAT" in
sql) tool=pg_dumpall ;;
directory) tool=pg_dump ;;
*) die "GGB_PG_FORMAT '$GGB_PG_FORMAT' is not one of sql, directory" ;;
esac
begin_dump "$tool" "$GGB_PG_FORMAT"
export PGCONNECT_TIMEOUT="${PGCONNECT_TIMEOUT:-15}"

# psql_value SQL: one value from the postgres database; a connection failure dies with the reason.
psql_value() {
	psql -X -w -A -t -v ON_ERROR_STOP=1 -d postgres -c "$1" 2>"$STAGE/.stderr" ||
		die "cannot query PostgreSQL at $PGHOST:$PGPORT as $PGUSER: $(first_line "$STAGE/.stderr")"
}

server_version=$(psql_value 'SHOW server_version')
meta toolVersion "$("$tool" --version)"
meta serverVersion "$server_version"
log "PostgreSQL $server_version at $PGHOST:$PGPORT, format $GGB_PG_FORMAT, set $BACKUP_ID"
ext=$(compression_ext)

if [ "$GGB_PG_FORMAT" = sql ]; then
	run_to "$STAGE/dumpall.sql$ext" pg_dumpall -w --quote-all-identifiers
else
	run_to "$STAGE/globals.sql$ext" pg_dumpall -w --globals-only --quote-all-identifiers
	case "$GGB_COMPRESSION" in
	gzip) pgz="gzip:${GGB_COMPRESSION_LEVEL:-1}" ;;
	zstd) pgz="zstd:${GGB_COMPRESSION_LEVEL:-3}" ;;
	*) pgz=none ;;
	esac
	# Databases are numbered, not named, in file names: a name may hold any character.
	# pg_restore -C takes the name back from the archive; postgres itself is restored in place.
	psql_value "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY datname = 'postgres' DESC, oid" >"$STAGE/.databases"
	n=0
	while IFS= read -r db; do
		[ -n "$db" ] || continue
		if [ "$db" = postgres ]; then name="db-postgres"; else n=$((n + 1)); name=$(printf 'db-%04d' "$n"); fi
		log "pg_dump -Fd -j ${GGB_PG_JOBS:-2} of database #$n"
		rm -rf "${STAGE:?}/$name"
		pg_dump -w -Fd -j "${GGB_PG_JOBS:-2}" --compress="$pgz" --create --quote-all-identifiers -f "$STAGE/$name" -d "$db" 2>"$STAGE/.stderr" ||
			die "pg_dump of database '$db' failed: $(first_line "$STAGE/.stderr")"
		tar -cf "$STAGE/$name.tar" -C "$STAGE" "$name" 2>"$STAGE/.stderr" ||
			die "archiving the dump of '$db' failed (staging volume full?): $(first_line "$STAGE/.stderr")"
		rm -rf "${STAGE:?}/$name"
	done <"$STAGE/.databases"
	rm -f "$STAGE/.databases"
fi
end_dump
