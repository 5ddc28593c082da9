#!/bin/sh
# The postgres step of a restore drill (init container, postgres image): starts a scratch
# PostgreSQL of its own on the drill's emptyDir, applies the fetched set to it with the restore's
# own apply step (restore-postgres.sh), and checks that the restored cluster holds every database,
# role and table row the set's inventory (pg-inventory.sh, written at backup time) recorded.
# The scratch server listens on a Unix socket in that emptyDir only, and this step names it to
# every client it runs: nothing a user sets names a server here, so a drill cannot reach the live
# database.
set -eu
# shellcheck source=jobs/lib.sh
. "${0%/*}/lib.sh"
# shellcheck source=jobs/drill-lib.sh
. "${0%/*}/drill-lib.sh"
# shellcheck source=sources/postgres/pg-inventory.sh
. "${0%/*}/pg-inventory.sh"
# shellcheck source=sources/postgres/pg-managed.sh
. "${0%/*}/pg-managed.sh"
GGB_STEP=drill-postgres

drill_part_begin postgres
scratch=$SCRATCH
mkdir -p "$scratch/run"
# The scratch server's socket folder, port and superuser: what this step hands the apply step and psql.
run="$scratch/run"
err="$scratch/step.err"

timed initdb -D "$scratch/data" -U postgres -A trust --no-sync -E UTF8 >"$scratch/initdb.log" 2>&1
if [ "$TIMED_STATUS" != 0 ]; then
	record_check postgres scratch failed "$TIMED_SECONDS" "initdb of the scratch server failed (exit $TIMED_STATUS): $(tail -n 1 "$scratch/initdb.log")"
	exit 0
fi
timed pg_ctl -D "$scratch/data" -l "$scratch/server.log" -w -t "$(remaining)" \
	-o "-c listen_addresses='' -c unix_socket_directories='$run' -c fsync=off -c full_page_writes=off" start >/dev/null 2>&1
record_phase postgres scratch "$TIMED_SECONDS" check
if [ "$TIMED_STATUS" != 0 ]; then
	record_check postgres scratch failed "$TIMED_SECONDS" "the scratch server did not start: $(tail -n 1 "$scratch/server.log" 2>/dev/null)"
	exit 0
fi
# The server goes before its data does (drill_part_end).
trap 'pg_ctl -D "$scratch/data" -m immediate stop >/dev/null 2>&1 || true; drill_part_end' EXIT

# The restore's own apply step, on the empty scratch cluster.
timed env GGB_STAGING_DIR="$STAGE/postgres" PGHOST="$run" PGPORT=5432 PGUSER=postgres sh "${0%/*}/restore-postgres.sh" 2>"$err"
record_phase postgres apply "$TIMED_SECONDS" recovery
record_timed postgres restore "the dump applied without error" "$err" || exit 0

inventory="$STAGE/postgres/inventory.tsv"
if [ ! -f "$inventory" ]; then
	record_check postgres inventory skipped 0 "the set has no inventory.tsv (made before inventories): databases, roles and rows not compared"
	exit 0
fi
start=$(date -u +%s)
# q DB SQL: tab-separated rows of SQL in database DB of the scratch server (its error in $err),
# bounded by the drill's deadline like every step.
q() {
	timeout "$(remaining)" psql -X -w -h "$run" -p 5432 -U postgres -A -t -F "$DRILL_TAB" -v ON_ERROR_STOP=1 -d "$(pg_conninfo_db "$1")" -c "$2" 2>"$err"
}
# lines_not_in FILE: the lines of stdin that FILE does not hold (awk: busybox images may lack comm).
lines_not_in() {
	awk 'NR == FNR { held[$0] = 1; next } !($0 in held)' "$1" -
}
# What the scratch cluster holds, in the inventory's own records (names quoted as the dump quotes them).
missing=""
q postgres "SELECT 'database', format('\"%s\"', replace(datname, '\"', '\"\"')) FROM pg_database" >"$scratch/have" ||
	missing="listing the scratch cluster's databases failed: $(first_line "$err")"
q postgres "SELECT 'role', format('\"%s\"', replace(rolname, '\"', '\"\"')) FROM pg_roles" >>"$scratch/have" ||
	missing="${missing:+$missing; }listing the scratch cluster's roles failed: $(first_line "$err")"
# The roles a managed service reserves are in its dumps but never replayed (restore-postgres.sh
# leaves them to the service): not looked for.
for kind in database role; do
	awk -F "$DRILL_TAB" -v kind="$kind" '$1 == kind' "$inventory" |
		reserved="$(pg_reserved_role_ere)" awk -F "$DRILL_TAB" '{ n = $2; gsub(/^"|"$/, "", n) } $1 != "role" || n !~ ENVIRON["reserved"]' |
		lines_not_in "$scratch/have" >"$scratch/missing"
	n=$(wc -l <"$scratch/missing" | tr -d ' ')
	[ "$n" = 0 ] || missing="$missing${missing:+; }$n ${kind}s missing, $(head -n 1 "$scratch/missing" | cut -f 2) first"
done
# Row counts: one query per database, of every table the dump held rows of (the identifiers are
# the dump's own, quoted as it quoted them).
awk -F "$DRILL_TAB" '$1 == "table" { print $2 }' "$inventory" | sort -u >"$scratch/dbs"
: >"$scratch/counted"
while IFS= read -r db; do
	# ONLY: a COPY holds the table's own rows, not its inheritance children's. Names go to awk
	# through ENVIRON (awk -v would unescape a backslash in them).
	db="$db" awk -F "$DRILL_TAB" -v sq="'" '
		$1 == "table" && $2 == ENVIRON["db"] { lit = $3; gsub(sq, sq sq, lit); printf "SELECT %s, count(*) FROM ONLY %s;\n", sq lit sq, $3 }
	' "$inventory" >"$scratch/count.sql"
	if timeout "$(remaining)" psql -X -w -h "$run" -p 5432 -U postgres -A -t -F "$DRILL_TAB" -v ON_ERROR_STOP=1 -d "$(pg_conninfo_db "$(pg_unquote "$db")")" -f "$scratch/count.sql" >"$scratch/rows" 2>"$err"; then
		db="$db" awk -F "$DRILL_TAB" -v OFS="$DRILL_TAB" '{ print "table", ENVIRON["db"], $1, $2 }' "$scratch/rows" >>"$scratch/counted"
	else
		missing="$missing${missing:+; }counting the rows of database $db failed: $(first_line "$err")"
	fi
done <"$scratch/dbs"
tables=$(grep -c "^table$DRILL_TAB" "$inventory" || true)
awk -F "$DRILL_TAB" '$1 == "table"' "$inventory" | lines_not_in "$scratch/counted" >"$scratch/wrong"
wrong=$(wc -l <"$scratch/wrong" | tr -d ' ')
if [ "$wrong" != 0 ]; then
	first=$(head -n 1 "$scratch/wrong")
	name=$(printf '%s' "$first" | cut -f 3)
	db=$(printf '%s' "$first" | cut -f 2)
	got=$(db="$db" t="$name" awk -F "$DRILL_TAB" '$2 == ENVIRON["db"] && $3 == ENVIRON["t"] { print $4 }' "$scratch/counted")
	missing="$missing${missing:+; }$wrong of $tables tables differ from the backup's record, first $name in $db: ${got:-no} rows, recorded $(printf '%s' "$first" | cut -f 4)"
fi
took=$(($(date -u +%s) - start))
record_phase postgres verify "$took" check
if [ -n "$missing" ]; then
	record_check postgres inventory failed "$took" "$missing"
else
	rows=$(awk -F "$DRILL_TAB" '$1 == "table" { n += $4 } END { print n + 0 }' "$inventory")
	record_check postgres inventory passed "$took" "$(grep -c "^database$DRILL_TAB" "$inventory" || true) databases, $(grep -c "^role$DRILL_TAB" "$inventory" || true) roles, $tables tables and $rows rows, as the backup recorded"
fi
