#!/bin/sh
# Apply step of the postgres restore (main container, postgres image), after restore-fetch.sh
# verified the set. Refuses a non-empty target unless GGB_OVERWRITE=true, in which case the
# target is emptied first (every database but the templates, every role but the one restoring),
# then applies the dump: psql for sql format, pg_restore -j for directory format.
set -eu
# shellcheck source=jobs/lib.sh
. "${0%/*}/lib.sh"
GGB_STEP=restore-postgres

need GGB_STAGING_DIR PGHOST PGPORT PGUSER
check_pg_jobs
STAGE=$GGB_STAGING_DIR
[ -f "$STAGE/.fetch-complete" ] || die "no verified set in $STAGE (restore-fetch.sh did not complete); target untouched"
# Set, not read: the contract (core/contract.ts) gives the job no other libpq variable.
export PGCONNECT_TIMEOUT=15

format=$(set_field format)
case "$format" in
sql | directory) ;;
*) die "set format '$format' is not sql or directory; target untouched" ;;
esac
# A set dumped without role passwords (rolePasswords, dump-postgres.sh) restores its roles
# without them; sets from before the field existed kept them.
role_passwords=$(set_field detail.rolePasswords)

# q DB SQL: one query, values one per line; failures die with the server's reason.
q() {
	psql -X -w -A -t -v ON_ERROR_STOP=1 -d "$1" -c "$2" 2>"$STAGE/.stderr" ||
		die "query on PostgreSQL at $PGHOST:$PGPORT failed: $(first_line "$STAGE/.stderr")"
}

# What makes a target non-empty: a database beyond the defaults, a role beyond the restoring
# one and the built-in pg_* roles, or a relation in the postgres database.
user_dbs=$(q postgres "SELECT count(*) FROM pg_database WHERE datname NOT IN ('postgres','template0','template1')")
other_roles=$(q postgres "SELECT count(*) FROM pg_roles WHERE rolname <> current_user AND rolname NOT LIKE 'pg\_%'")
relations=$(q postgres "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog','information_schema','pg_toast')")
if [ "$user_dbs" != 0 ] || [ "$other_roles" != 0 ] || [ "$relations" != 0 ]; then
	[ "${GGB_OVERWRITE:-false}" = true ] ||
		die "target PostgreSQL at $PGHOST:$PGPORT is not empty ($user_dbs databases, $other_roles roles, $relations relations in postgres); set overwrite to replace it; target untouched"
	log "overwrite: emptying the target ($user_dbs databases, $other_roles roles)"
	q template1 "SELECT format('DROP DATABASE %I WITH (FORCE);', datname) FROM pg_database WHERE datname NOT IN ('template0','template1')" >"$STAGE/.drop.sql"
	printf 'CREATE DATABASE "postgres";\n' >>"$STAGE/.drop.sql"
	psql -X -w -q -v ON_ERROR_STOP=1 -d template1 -f "$STAGE/.drop.sql" >/dev/null 2>"$STAGE/.stderr" ||
		die "emptying the target failed: $(first_line "$STAGE/.stderr")"
	q postgres "SELECT format('DROP ROLE %I;', rolname) FROM pg_roles WHERE rolname <> current_user AND rolname NOT LIKE 'pg\_%'" >"$STAGE/.drop.sql"
	psql -X -w -q -v ON_ERROR_STOP=1 -d postgres -f "$STAGE/.drop.sql" >/dev/null 2>"$STAGE/.stderr" ||
		die "dropping the target's roles failed: $(first_line "$STAGE/.stderr")"
fi

# without_own_role: the dump's CREATE ROLE of the restoring role is dropped, as that role
# exists already; its ALTER ROLE still applies the saved attributes, but not the saved
# password: the rest of the restore (and whatever holds this target's credentials) logs in
# with the target's password. Only the roles section is edited: it ends at the first
# \connect, and what follows (table data included) passes through untouched.
own_role=$(q postgres 'SELECT quote_ident(current_user)')
without_own_role() {
	awk -v own="$own_role" -v sq="'" '
		BEGIN { roles = 1 }
		roles && /^\\connect / { roles = 0 }
		roles && ($0 == "CREATE ROLE " own ";" || $0 == "CREATE ROLE \"" own "\";") { next }
		roles && (index($0, "ALTER ROLE " own " WITH ") == 1 || index($0, "ALTER ROLE \"" own "\" WITH ") == 1) {
			sub(" PASSWORD " sq "[^" sq "]*" sq, "")
		}
		{ print }'
}

# apply_sql FILE DB: replays a (compressed) SQL file; the first error stops it. A failing
# decompressor is noticed too (no pipefail in POSIX sh: it leaves a mark file).
apply_sql() {
	rm -f "$STAGE/.unpack-failed"
	{ decode "$(codec_of "${1##*/}")" "$1" 2>"$STAGE/.unpack-stderr" || : >"$STAGE/.unpack-failed"; } | without_own_role |
		psql -X -w -q -v ON_ERROR_STOP=1 -d "$2" >/dev/null 2>"$STAGE/.stderr" ||
		die "replaying ${1##*/} failed: $(first_line "$STAGE/.stderr")"
	[ ! -e "$STAGE/.unpack-failed" ] || die "decompressing ${1##*/} failed: $(first_line "$STAGE/.unpack-stderr")"
}

start=$(date +%s)
if [ "$format" = sql ]; then
	file=$(find "$STAGE" -maxdepth 1 -name 'dumpall.sql*' | head -n 1)
	[ -n "$file" ] || die "set has no dumpall.sql artifact"
	log "psql replay of ${file##*/}"
	apply_sql "$file" postgres
else
	file=$(find "$STAGE" -maxdepth 1 -name 'globals.sql*' | head -n 1)
	[ -n "$file" ] || die "set has no globals.sql artifact"
	log "roles and tablespaces from ${file##*/}"
	apply_sql "$file" postgres
	# db-NNNN.tar, or db-NNNN.tar.zst when the dump's pg_dump could not compress with zstd.
	for archive in "$STAGE"/db-*.tar "$STAGE"/db-*.tar.gz "$STAGE"/db-*.tar.zst; do
		[ -f "$archive" ] || continue
		name=${archive##*/}
		name=${name%%.tar*}
		rm -rf "${STAGE:?}/$name" "$STAGE/.unpack-failed"
		{ decode "$(codec_of "${archive##*/}")" "$archive" 2>"$STAGE/.stderr" || : >"$STAGE/.unpack-failed"; } | tar -xf - -C "$STAGE" 2>>"$STAGE/.stderr" ||
			die "unpacking $name failed: $(first_line "$STAGE/.stderr")"
		[ ! -e "$STAGE/.unpack-failed" ] || die "unpacking $name failed: $(first_line "$STAGE/.stderr")"
		if [ "$name" = db-postgres ]; then
			set -- -d postgres
		else
			set -- --create -d postgres
		fi
		log "pg_restore -j ${GGB_PG_JOBS:-2} of $name"
		pg_restore -w --exit-on-error -j "${GGB_PG_JOBS:-2}" "$@" "$STAGE/$name" 2>"$STAGE/.stderr" ||
			die "pg_restore of $name failed: $(first_line "$STAGE/.stderr")"
		rm -rf "${STAGE:?}/$name"
	done
fi
log "restore applied in $(($(date +%s) - start)) s"
if [ "$role_passwords" = excluded ]; then
	# Every login role but the restoring one came from the set (the target was empty, or emptied).
	no_password=$(q postgres "SELECT coalesce(string_agg(quote_ident(rolname), ', ' ORDER BY rolname), 'none') FROM pg_roles WHERE rolcanlogin AND rolname <> current_user AND rolname NOT LIKE 'pg\_%'")
	log "the set was dumped without role passwords: its login roles ($no_password) have none and cannot log in with one until it is set (ALTER ROLE name PASSWORD '...'), or the managed service manages them"
fi
