#!/bin/sh
# Apply step of the postgres restore (main container, postgres image), after restore-fetch.sh
# verified the set. Refuses a non-empty target unless GGB_OVERWRITE=true; then the target's
# databases are put aside until the set is in and put back if it fails (pg-aside.sh). Applies
# the dump with psql (sql format) or pg_restore -j (directory format). What a managed service
# keeps for itself (pg-managed.sh) is neither counted, moved nor replayed.
set -eu
# shellcheck source=jobs/lib.sh
. "${0%/*}/lib.sh"
# shellcheck source=sources/postgres/pg-managed.sh
. "${0%/*}/pg-managed.sh"
# shellcheck source=sources/postgres/pg-aside.sh
. "${0%/*}/pg-aside.sh"
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

refuse_leftovers
# What makes a target non-empty: a database beyond the defaults, a role beyond the restoring
# one and the built-in pg_* roles, or a relation in the postgres database.
user_dbs=$(q postgres "SELECT count(*) FROM pg_database WHERE NOT datistemplate AND datname <> 'postgres' AND NOT $(pg_reserved_db datname)")
other_roles=$(q postgres "SELECT count(*) FROM pg_roles WHERE rolname <> current_user AND rolname NOT LIKE 'pg\_%' AND NOT $(pg_reserved_role rolname)")
relations=$(q postgres "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog','information_schema','pg_toast')")
# The target's roles as they were, for what a failed replay created (put_back) and for the
# roles section's filter: a role the target has is altered, not created again.
roles_before=$(q postgres "SELECT quote_literal(array_agg(rolname)::text) FROM pg_roles")
q postgres "SELECT format('\"%s\"', replace(rolname, '\"', '\"\"')) || E'\\t' || quote_ident(rolname) FROM pg_roles WHERE rolname NOT LIKE 'pg\_%' AND NOT $(pg_reserved_role rolname)" >"$STAGE/.roles-known"
own_role=$(q postgres 'SELECT quote_ident(current_user)')
own_role_dq=$(q postgres "SELECT format('\"%s\"', replace(current_user, '\"', '\"\"'))")
if [ "$user_dbs" != 0 ] || [ "$other_roles" != 0 ] || [ "$relations" != 0 ]; then
	[ "${GGB_OVERWRITE:-false}" = true ] ||
		die "target PostgreSQL at $PGHOST:$PGPORT is not empty ($user_dbs databases, $other_roles roles, $relations relations in postgres); set overwrite to replace it; target untouched"
	put_aside
	put_aside_done=1
fi

# roles_section: the dump's roles section (it ends at the first \connect; what follows, table
# data included, passes through untouched) fitted to the target:
# - CREATE ROLE of a role the target has is left out (it would fail): its ALTER ROLE still
#   applies the set's attributes, but not the restoring role's saved password: the rest of the
#   restore (and whatever holds this target's credentials) logs in with the target's password;
# - statements naming a role the service reserves (CREATE, ALTER, GRANT, REVOKE, COMMENT) are
#   left out: its admin may not run them, and the service manages those roles itself.
# The target's roles the set does not create are written to .roles-not-in-set, and the number
# of statements left out to .roles-skipped.
roles_section() {
	awk -v own="$own_role" -v own_dq="$own_role_dq" -v sq="'" -v known="$STAGE/.roles-known" \
		-v reserved="$(pg_reserved_role_ere)" -v absent="$STAGE/.roles-not-in-set" -v skipped_file="$STAGE/.roles-skipped" '
		function bare(id) {
			if (id ~ /^".*"$/) { id = substr(id, 2, length(id) - 2); gsub(/""/, "\"", id) }
			return id
		}
		function names_reserved(line,    rest, tok, n, i, parts) {
			rest = line
			while (match(rest, /"([^"]|"")*"/)) {
				if (bare(substr(rest, RSTART, RLENGTH)) ~ reserved) return 1
				rest = substr(rest, RSTART + RLENGTH)
			}
			n = split(line, parts, /[ ,;()]+/)
			for (i = 1; i <= n; i++) if (parts[i] ~ reserved) return 1
			return 0
		}
		BEGIN {
			roles = 1
			while ((getline line < known) > 0) { split(line, f, "\t"); dq[f[2]] = f[1] }
		}
		roles && /^\\connect / { roles = 0 }
		roles && /^CREATE ROLE / {
			id = substr($0, 13); sub(/;$/, "", id)
			created[id] = 1
			if (bare(id) ~ reserved) { skipped++; next }
			if ((id in dq) || id == own || id == own_dq) next
			for (k in dq) if (dq[k] == id) next
		}
		roles && /^(ALTER ROLE|GRANT|REVOKE|COMMENT ON ROLE|SECURITY LABEL) / && names_reserved($0) { skipped++; next }
		roles && (index($0, "ALTER ROLE " own " WITH ") == 1 || index($0, "ALTER ROLE " own_dq " WITH ") == 1) {
			sub(" PASSWORD " sq "[^" sq "]*" sq, "")
		}
		{ print }
		END {
			for (k in dq) if (!(k in created) && !(dq[k] in created) && k != own) print k > absent
			print skipped + 0 > skipped_file
		}'
}

# apply_sql FILE DB: replays a (compressed) SQL file; the first error stops it. A failing
# decompressor is noticed too (no pipefail in POSIX sh: it leaves a mark file).
apply_sql() {
	rm -f "$STAGE/.unpack-failed"
	: >"$STAGE/.roles-not-in-set"
	{ decode "$(codec_of "${1##*/}")" "$1" 2>"$STAGE/.unpack-stderr" || : >"$STAGE/.unpack-failed"; } | roles_section |
		psql -X -w -q -v ON_ERROR_STOP=1 -d "$2" >/dev/null 2>"$STAGE/.stderr" ||
		fail "replaying ${1##*/} failed: $(first_line "$STAGE/.stderr")"
	[ ! -e "$STAGE/.unpack-failed" ] || fail "decompressing ${1##*/} failed: $(first_line "$STAGE/.unpack-stderr")"
	skipped=$(cat "$STAGE/.roles-skipped")
	[ "$skipped" = 0 ] || log "$skipped statements of ${1##*/} about roles the managed service reserves were left out (it manages those roles)"
}

start=$(date +%s)
if [ "$format" = sql ]; then
	file=$(find "$STAGE" -maxdepth 1 -name 'dumpall.sql*' | head -n 1)
	[ -n "$file" ] || fail "set has no dumpall.sql artifact"
	log "psql replay of ${file##*/}"
	apply_sql "$file" postgres
else
	file=$(find "$STAGE" -maxdepth 1 -name 'globals.sql*' | head -n 1)
	[ -n "$file" ] || fail "set has no globals.sql artifact"
	log "roles and tablespaces from ${file##*/}"
	apply_sql "$file" postgres
	# db-NNNN.tar, or db-NNNN.tar.zst when the dump's pg_dump could not compress with zstd.
	for archive in "$STAGE"/db-*.tar "$STAGE"/db-*.tar.gz "$STAGE"/db-*.tar.zst; do
		[ -f "$archive" ] || continue
		name=${archive##*/}
		name=${name%%.tar*}
		rm -rf "${STAGE:?}/$name" "$STAGE/.unpack-failed"
		{ decode "$(codec_of "${archive##*/}")" "$archive" 2>"$STAGE/.stderr" || : >"$STAGE/.unpack-failed"; } | tar -xf - -C "$STAGE" 2>>"$STAGE/.stderr" ||
			fail "unpacking $name failed: $(first_line "$STAGE/.stderr")"
		[ ! -e "$STAGE/.unpack-failed" ] || fail "unpacking $name failed: $(first_line "$STAGE/.stderr")"
		if [ "$name" = db-postgres ]; then
			set -- -d postgres
		else
			set -- --create -d postgres
		fi
		log "pg_restore -j ${GGB_PG_JOBS:-2} of $name"
		pg_restore -w --exit-on-error -j "${GGB_PG_JOBS:-2}" "$@" "$STAGE/$name" 2>"$STAGE/.stderr" ||
			fail "pg_restore of $name failed: $(first_line "$STAGE/.stderr")"
		rm -rf "${STAGE:?}/$name"
	done
fi
log "restore applied in $(($(date +%s) - start)) s"
[ "${put_aside_done:-}" != 1 ] || drop_aside
if [ "$role_passwords" = excluded ]; then
	# Every login role but the restoring one came from the set (the target was empty, or emptied).
	no_password=$(q postgres "SELECT coalesce(string_agg(quote_ident(rolname), ', ' ORDER BY rolname), 'none') FROM pg_roles WHERE rolcanlogin AND rolname <> current_user AND rolname NOT LIKE 'pg\_%' AND NOT $(pg_reserved_role rolname)")
	log "the set was dumped without role passwords: its login roles ($no_password) have none and cannot log in with one until it is set (ALTER ROLE name PASSWORD '...'), or the managed service manages them"
fi
