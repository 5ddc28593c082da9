#!/bin/sh
# Dump step of the postgres backup (dump container, postgres image), streamed to the upload step.
# sql:       pg_dumpall, compressed: GitGuardian's documented procedure, restored with psql.
# directory: pg_dumpall --globals-only plus pg_dump -Fd -j N per database (one tar each),
#            restored in parallel with pg_restore -j. pg_dump compresses the files itself
#            (gzip; zstd from pg_dump 16 on); with zstd and an older pg_dump the tar is
#            compressed instead (db-NNNN.tar.zst).
# Role passwords (GGB_PG_ROLE_PASSWORDS): pg_dumpall reads them from pg_authid, which only a
# superuser may read; a managed service's admin (RDS, Cloud SQL, Azure) may not. auto dumps
# without them (--no-role-passwords) when pg_authid is not readable, exclude always does,
# include never does (pg_dumpall then fails with its own reason). The set records which.
set -eu
# shellcheck source=jobs/lib.sh
. "${0%/*}/lib.sh"
# shellcheck source=sources/postgres/pg-managed.sh
. "${0%/*}/pg-managed.sh"
# shellcheck source=sources/postgres/pg-inventory.sh
. "${0%/*}/pg-inventory.sh"
GGB_STEP=dump-postgres

open_channel
need PGHOST PGPORT PGUSER GGB_PG_FORMAT GGB_COMPRESSION
check_compression_tool
check_pg_jobs
check_call_timeout
# A table lock the dump cannot get (a migration holding an ACCESS EXCLUSIVE lock) fails it with a
# reason after GGB_CALL_TIMEOUT instead of waiting until the Job's deadline.
lock_wait="--lock-wait-timeout=${CALL_TIMEOUT}s"
case "$GGB_PG_FORMAT" in
sql) tool=pg_dumpall ;;
directory) tool=pg_dump ;;
*) die "GGB_PG_FORMAT '$GGB_PG_FORMAT' is not one of sql, directory" ;;
esac
role_passwords=${GGB_PG_ROLE_PASSWORDS:-auto}
case "$role_passwords" in
auto | include | exclude) ;;
*) die "GGB_PG_ROLE_PASSWORDS '$role_passwords' is not one of auto, include, exclude" ;;
esac
# Set, not read: the contract (core/contract.ts) gives the job no other libpq variable.
export PGCONNECT_TIMEOUT=15

# psql_value SQL: one value from the postgres database; a connection failure dies with the reason.
psql_value() {
	psql -X -w -A -t -v ON_ERROR_STOP=1 -d postgres -c "$1" 2>"$STAGE/.stderr" ||
		die "cannot query PostgreSQL at $PGHOST:$PGPORT as $PGUSER: $(first_line "$STAGE/.stderr")"
}

server_version=$(psql_value 'SHOW server_version')
# The privilege is asked, not tried: a failing SELECT would not tell "denied" from any other
# error. has_table_privilege counts what the user inherits, as pg_dumpall's own query would.
# (Assigned on its own line so that a failed query stops the script under set -e.)
if [ "$role_passwords" = auto ]; then
	readable=$(psql_value "SELECT has_table_privilege('pg_catalog.pg_authid', 'SELECT')")
	if [ "$readable" = t ]; then
		role_passwords=include
	else
		role_passwords=exclude
		why="$PGUSER cannot read pg_authid (not a superuser: a managed service's admin)"
	fi
else
	why="rolePasswords is $role_passwords"
fi
# Given to both pg_dumpall calls (sql format, and the globals of the directory format).
no_passwords=""
if [ "$role_passwords" = exclude ]; then
	no_passwords=--no-role-passwords
	log "role passwords are not dumped ($why): a restore creates the roles without passwords; set each login role's password after it (ALTER ROLE name PASSWORD '...'), or let the managed service manage its users"
	meta detail.rolePasswords excluded
else
	meta detail.rolePasswords included
fi
meta tool "$tool"
meta format "$GGB_PG_FORMAT"
meta toolVersion "$("$tool" --version)"
meta serverVersion "$server_version"
log "PostgreSQL $server_version at $PGHOST:$PGPORT, format $GGB_PG_FORMAT, set $BACKUP_ID"
ext=$(compression_ext)

# The set's inventory.tsv (pg-inventory.sh): the databases, roles and row counts the dump holds,
# for the restore drills, appended to as the artifacts go by.
: >"$STAGE/.inventory"
# send_inventoried NAME CMD...: send NAME, compressed, while pg_inventory reads the same stream.
# tee's failure leaves a mark (no pipefail in POSIX sh): a stream cut short must not be committed.
send_inventoried() {
	make_fifo "$STAGE/.inventory.in"
	rm -f "$STAGE/.inventory-failed"
	# No descriptor of the step's own (its stderr, the channel): a reader left waiting on the FIFO
	# when the step dies before the stream starts must hold nothing open.
	pg_inventory <"$STAGE/.inventory.in" >>"$STAGE/.inventory" 2>"$STAGE/.inventory.err" 7>&- &
	_si_pid=$!
	_si_name=$1
	shift
	send "$_si_name" inventory_compress "$@"
	_si_rc=0
	wait "$_si_pid" || _si_rc=$?
	rm -f "$STAGE/.inventory.in" "$STAGE/.inventory.err"
	[ ! -e "$STAGE/.inventory-failed" ] || die "the dump stream could not be copied to its inventory; nothing committed"
	[ "$_si_rc" = 0 ] || die "the inventory of the dump failed (exit $_si_rc); nothing committed"
}
inventory_compress() {
	{ tee "$STAGE/.inventory.in" || : >"$STAGE/.inventory-failed"; } | compress
}

if [ "$GGB_PG_FORMAT" = sql ]; then
	# The databases a managed service keeps for itself are not the application's (pg-managed.sh).
	# shellcheck disable=SC2046 # the exclusions are fixed words, one per line
	send_inventoried "dumpall.sql$ext" pg_dumpall -w "$lock_wait" --quote-all-identifiers ${no_passwords:+"$no_passwords"} $(pg_dumpall_exclusions)
	log "inventory: $(grep -c '^database' "$STAGE/.inventory" || true) databases, $(grep -c '^role' "$STAGE/.inventory" || true) roles, $(grep -c '^table' "$STAGE/.inventory" || true) tables"
else
	send_inventoried "globals.sql$ext" pg_dumpall -w "$lock_wait" --globals-only --quote-all-identifiers ${no_passwords:+"$no_passwords"}
	# pg_dump before 16 takes only a gzip level (-Z 0-9, which 16+ still reads as gzip);
	# method:level and zstd came with 16.
	pg_major=$(pg_dump --version | sed -n 's/^pg_dump (PostgreSQL) \([0-9][0-9]*\).*/\1/p')
	[ -n "$pg_major" ] || die "cannot read the version of pg_dump: $(pg_dump --version 2>&1)"
	tar_ext=""
	case "$GGB_COMPRESSION" in
	gzip) pgz="${GGB_COMPRESSION_LEVEL:-1}" ;;
	zstd)
		if [ "$pg_major" -ge 16 ]; then
			pgz="zstd:${GGB_COMPRESSION_LEVEL:-3}"
		else
			pgz=0
			tar_ext=$ext
		fi
		;;
	*) pgz=0 ;;
	esac
	# Databases are numbered, not named, in file names: a name may hold any character.
	# pg_restore -C takes the name back from the archive; postgres itself is restored in place.
	psql_value "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate AND NOT $(pg_reserved_db datname) ORDER BY datname = 'postgres' DESC, oid" >"$STAGE/.databases"
	n=0
	while IFS= read -r db; do
		[ -n "$db" ] || continue
		if [ "$db" = postgres ]; then name="db-postgres"; else n=$((n + 1)); name=$(printf 'db-%04d' "$n"); fi
		log "pg_dump -Fd -j ${GGB_PG_JOBS:-2} of database #$n"
		rm -rf "${STAGE:?}/$name"
		# The name goes in a connection string: a bare -d NAME holding '=' would be parsed as one.
		conn="dbname='$(printf '%s' "$db" | sed "s/[\\\\']/\\\\&/g")'"
		# Their errors are kept in memory: on a full staging volume an error file stays empty.
		err=$(pg_dump -w "$lock_wait" -Fd -j "${GGB_PG_JOBS:-2}" --compress="$pgz" --create --quote-all-identifiers -f "$STAGE/$name" -d "$conn" 2>&1) ||
			die "pg_dump of database '$db' failed: $(first_line_of "$err")"
		if [ -z "$tar_ext" ]; then
			send "$name.tar" cat tar -cf - -C "$STAGE" "$name"
		else
			send "$name.tar$tar_ext" compress tar -cf - -C "$STAGE" "$name"
		fi
		# Its rows, from the staged archive as pg_restore reads it back (one more pass over it).
		db_ident=$(printf '"%s"' "$(printf '%s' "$db" | sed 's/"/""/g')")
		[ "$db" = postgres ] || printf 'database\t%s\n' "$db_ident" >>"$STAGE/.inventory"
		rm -f "$STAGE/.inventory-failed"
		{ pg_restore --data-only -f - "$STAGE/$name" 2>"$STAGE/.inventory.err" || : >"$STAGE/.inventory-failed"; } |
			pg_inventory "$db_ident" >>"$STAGE/.inventory" ||
			die "the inventory of database '$db' failed; nothing committed"
		[ ! -e "$STAGE/.inventory-failed" ] || die "pg_restore could not read back the archive of database '$db' for its inventory: $(first_line "$STAGE/.inventory.err"); nothing committed"
		rm -rf "${STAGE:?}/$name" "$STAGE/.inventory.err"
	done <"$STAGE/.databases"
	rm -f "$STAGE/.databases"
fi
send inventory.tsv cat cat "$STAGE/.inventory"
rm -f "$STAGE/.inventory"
close_channel
