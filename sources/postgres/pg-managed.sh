#!/bin/sh
# Names a managed PostgreSQL service keeps for itself (Amazon RDS, Cloud SQL, Azure Database):
# its admin cannot drop, rename or alter them, and they are not the application's data. The
# dump leaves their databases out, and the restore never counts, moves or drops them, nor
# replays a set's statements about their roles. Sourced by dump-postgres.sh and
# restore-postgres.sh; declared here once.

# pg_reserved_db COLUMN: an SQL condition true when the database name in COLUMN is reserved.
pg_reserved_db() {
	printf "%s IN ('rdsadmin', 'cloudsqladmin', 'azure_maintenance', 'azure_sys')" "$1"
}

# pg_reserved_role COLUMN: an SQL condition true when the role name in COLUMN is reserved
# (rds_superuser, rds_iam, cloudsqlsuperuser, cloudsqliamuser... by prefix).
pg_reserved_role() {
	printf "(%s IN ('rdsadmin', 'rdstopmgr', 'rdsrepladmin', 'cloudsqladmin', 'azure_pg_admin', 'azure_superuser', 'azuresu', 'replication') OR %s LIKE 'rds\\_%%' OR %s LIKE 'cloudsql%%')" "$1" "$1" "$1"
}

# pg_reserved_role_ere: the same role names as an extended regular expression on a bare
# name, for the awk filter of a dump's roles section.
pg_reserved_role_ere() {
	printf '%s' '^(rdsadmin|rdstopmgr|rdsrepladmin|cloudsqladmin|azure_pg_admin|azure_superuser|azuresu|replication|rds_.*|cloudsql.*)$'
}

# pg_dumpall_exclusions: the --exclude-database options of the reserved databases.
pg_dumpall_exclusions() {
	printf '%s\n' --exclude-database=rdsadmin --exclude-database=cloudsqladmin --exclude-database=azure_maintenance --exclude-database=azure_sys
}
