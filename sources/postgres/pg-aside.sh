#!/bin/sh
# The overwrite of a non-empty target, in an order where the target's data stays whole until the
# set's is in: its databases are renamed aside (ggb_aside_<name>, closed to connections) before
# the replay and dropped only after it succeeded; a failed replay drops what it created and
# renames them back. Roles are not dropped first (a managed service's admin may not, and the
# application logs in with them): the set's statements alter the roles it shares with the
# target, and the target's roles the set does not have are dropped after success. A restore
# killed halfway (SIGKILL, a node lost) leaves the ggb_aside_ databases: the next one refuses
# to start until they are renamed back or dropped. Sourced by restore-postgres.sh, which
# defines q, STAGE and own_role; the reserved names come from pg-managed.sh.

ASIDE=ggb_aside_
# A database the restore moves aside: not a template, not the service's, not aside already.
MOVED="NOT datistemplate AND NOT $(pg_reserved_db datname) AND datname NOT LIKE 'ggb\\_aside\\_%'"

# run_sql DB FILE WHAT: runs the statements in FILE, the first error stops them and is returned
# in $sql_error (no die: the callers put things back first).
run_sql() {
	sql_error=""
	psql -X -w -q -v ON_ERROR_STOP=1 -d "$1" -f "$2" </dev/null >/dev/null 2>"$STAGE/.sql-stderr" && return 0
	sql_error="$3 failed: $(first_line "$STAGE/.sql-stderr")"
	return 1
}

# refuse_leftovers: databases put aside by a restore that did not finish hold the data from
# before it; nothing is touched until someone chose what to keep.
refuse_leftovers() {
	left=$(q template1 "SELECT string_agg(quote_ident(datname), ', ' ORDER BY datname) FROM pg_database WHERE datname LIKE 'ggb\\_aside\\_%'")
	[ -z "$left" ] ||
		die "databases put aside by a restore that did not finish remain on PostgreSQL at $PGHOST:$PGPORT ($left): they hold the data from before it; to keep that data, drop the database of the same name without the ggb_aside_ prefix and rename each back (ALTER DATABASE ggb_aside_NAME RENAME TO NAME; ALTER DATABASE NAME WITH ALLOW_CONNECTIONS true), otherwise drop them, then run the restore again; target untouched"
}

# put_aside: closes the target's databases, ends their sessions and renames them aside; the
# postgres database is then made anew (empty, from template1) for the replay. On a failure
# the target is put back as it was, and the step dies.
put_aside() {
	long=$(q template1 "SELECT string_agg(quote_ident(datname), ', ') FROM pg_database WHERE $MOVED AND octet_length(datname) > 63 - length('$ASIDE')")
	[ -z "$long" ] || die "database names too long to be put aside with the $ASIDE prefix (over $((63 - ${#ASIDE})) bytes): $long; target untouched"
	q template1 "SELECT format('ALTER DATABASE %I WITH ALLOW_CONNECTIONS true;', datname) FROM pg_database WHERE $MOVED AND datallowconn" >"$STAGE/.reopen.sql"
	q template1 "SELECT format('ALTER DATABASE %I WITH ALLOW_CONNECTIONS false;', datname) FROM pg_database WHERE $MOVED AND datallowconn" >"$STAGE/.close.sql"
	run_sql template1 "$STAGE/.close.sql" "closing the target's databases to new sessions" || undo_aside "$sql_error"
	# The application's sessions end here (it is scaled down for a restore, or loses them
	# anyway); pg_terminate_backend signals, so the rename waits for them to be gone.
	q template1 "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname IN (SELECT datname FROM pg_database WHERE $MOVED) AND pid <> pg_backend_pid()" >/dev/null
	waited=0
	while [ "$(q template1 "SELECT count(*) FROM pg_stat_activity WHERE datname IN (SELECT datname FROM pg_database WHERE $MOVED)")" != 0 ]; do
		[ "$waited" -lt 30 ] || undo_aside "sessions on the target's databases did not end within 30 s of pg_terminate_backend"
		sleep 1
		waited=$((waited + 1))
	done
	q template1 "SELECT format('ALTER DATABASE %I RENAME TO %I;', datname, '$ASIDE' || datname) FROM pg_database WHERE $MOVED ORDER BY datname" >"$STAGE/.aside.sql"
	run_sql template1 "$STAGE/.aside.sql" "renaming the target's databases aside" || undo_aside "$sql_error"
	if [ "$(q template1 "SELECT count(*) FROM pg_database WHERE datname = 'postgres'")" = 0 ]; then
		printf 'CREATE DATABASE "postgres";\n' >"$STAGE/.create.sql"
		run_sql template1 "$STAGE/.create.sql" "making a new postgres database" || undo_aside "$sql_error"
	fi
	aside=$(q template1 "SELECT string_agg(quote_ident(datname), ', ' ORDER BY datname) FROM pg_database WHERE datname LIKE 'ggb\\_aside\\_%'")
	log "overwrite: the target's databases are put aside until the set is in ($aside)"
}

# rename_back: the databases put aside get their names back and are opened again. Returns 1
# with $sql_error when a statement failed.
rename_back() {
	q template1 "SELECT format('ALTER DATABASE %I RENAME TO %I;', datname, substr(datname, length('$ASIDE') + 1)) FROM pg_database WHERE datname LIKE 'ggb\\_aside\\_%'" >"$STAGE/.back.sql"
	cat "$STAGE/.reopen.sql" >>"$STAGE/.back.sql"
	run_sql template1 "$STAGE/.back.sql" "putting the previous databases back"
}

# put_back: after a failed replay, its databases are dropped (every database it could have
# made: all of the target's were aside), the target's renamed back, the roles it created dropped.
put_back() {
	q template1 "SELECT format('DROP DATABASE %I WITH (FORCE);', datname) FROM pg_database WHERE $MOVED" >"$STAGE/.back.sql"
	run_sql template1 "$STAGE/.back.sql" "dropping the replay's databases" || return 1
	rename_back || return 1
	# shellcheck disable=SC2154 # roles_before: set by restore-postgres.sh before the target is put aside
	q postgres "SELECT format('DROP ROLE %I;', rolname) FROM pg_roles WHERE rolname <> ALL ($roles_before::name[])" >"$STAGE/.back.sql"
	run_sql postgres "$STAGE/.back.sql" "dropping the roles the replay created" || return 1
}

# undo_aside REASON: a failure before the replay started: nothing was dropped, the renamed
# databases are renamed back.
undo_aside() {
	rename_back || die "$1; putting the target back failed too: $sql_error; rename the databases named $ASIDE* back by hand"
	die "$1; target untouched"
}

# fail REASON: a failure of the replay; with the target put aside, it is put back first.
fail() {
	[ "${put_aside_done:-}" = 1 ] || die "$1"
	put_back || die "$1; putting the previous databases back failed too: $sql_error; the previous ones are kept as $ASIDE<name>: drop the half-restored databases and rename those back (ALTER DATABASE ${ASIDE}NAME RENAME TO NAME; ALTER DATABASE NAME WITH ALLOW_CONNECTIONS true)"
	die "$1; the target's previous databases were put back ($aside renamed back) and the roles the replay created dropped; roles the set shares with the target keep the attributes the set gave them"
}

# drop_aside: after a successful replay, the previous databases go, then the target's roles the
# set does not have (each on its own: one still owning something elsewhere is kept and named).
drop_aside() {
	q template1 "SELECT format('DROP DATABASE %I;', datname) FROM pg_database WHERE datname LIKE 'ggb\\_aside\\_%'" >"$STAGE/.drop.sql"
	if run_sql template1 "$STAGE/.drop.sql" "dropping the previous databases"; then
		log "overwrite: the previous databases were dropped ($aside)"
	else
		log "warning: $sql_error; they are still there ($aside), and the next restore refuses to start until they are dropped"
	fi
	while IFS= read -r role; do
		[ -n "$role" ] || continue
		printf 'DROP ROLE %s;\n' "$role" >"$STAGE/.drop.sql"
		if run_sql postgres "$STAGE/.drop.sql" "dropping role $role"; then
			log "overwrite: role $role of the target is not in the set: dropped"
		else
			log "warning: $sql_error; the role is kept"
		fi
	done <"$STAGE/.roles-not-in-set"
}
