# shellcheck shell=sh
# The inventory of a pg_dumpall stream, what a restore drill checks the restored cluster against:
# written at backup time from the very bytes uploaded (dump-postgres.sh hands the stream to it as
# it goes by), so that it holds what the dump holds, whatever the live server did meanwhile. One
# record a line, tab-separated, identifiers quoted as the dump quotes them (--quote-all-identifiers):
#   database "NAME"                          a database the dump creates
#   role     "NAME"                          a role the dump creates
#   table    "DB" "SCHEMA"."TABLE" ROWS      the rows of one table's COPY block
# A COPY data line is one row (text format escapes newlines), and none reads `\.` (backslashes are
# doubled), so counting lines up to `\.` counts rows. A `\connect` names the database the lines
# after it are in: as a connection string right after its CREATE DATABASE (the name is then the
# CREATE's), as a quoted identifier (`\connect "gitguardian"`, again after an owner's change), or
# bare (`\connect postgres`).

# pg_inventory [DB]: a pg_dumpall stream on stdin, its inventory on stdout. With DB (a quoted
# identifier), the stream is one database's data as pg_restore --data-only prints a directory
# archive back (its COPY statements as pg_dump --quote-all-identifiers wrote them), no \connect.
pg_inventory() {
	inventory_db=${1:-} awk -v sq="'" '
		BEGIN { tab = "\t"; db = ENVIRON["inventory_db"] }
		copy {
			if ($0 == "\\.") { print "table" tab db tab tbl tab rows; copy = 0 } else rows++
			next
		}
		/^COPY "/ && / FROM stdin;$/ {
			if (match($0, /^COPY "([^"]|"")*"\."([^"]|"")*"/)) { tbl = substr($0, 6, RLENGTH - 5); copy = 1; rows = 0 }
			next
		}
		/^CREATE ROLE "/ {
			name = substr($0, 13); sub(/;$/, "", name)
			print "role" tab name
			next
		}
		/^CREATE DATABASE "/ {
			if (match($0, /^CREATE DATABASE "([^"]|"")*"/)) { pending = substr($0, 17, RLENGTH - 16); print "database" tab pending }
			next
		}
		/^\\connect / {
			arg = substr($0, 10)
			lead = "-reuse-previous=on \"dbname=" sq
			if (index(arg, lead) == 1 && pending == "" && substr(arg, length(arg) - 1) == sq "\"") {
				# A reconnection after the properties of the database: its name from the connection string
				# (psql doubles quotes, libpq escapes quote and backslash), quoted as an identifier.
				n = substr(arg, length(lead) + 1, length(arg) - length(lead) - 2)
				gsub(/""/, "\"", n); gsub(/\\\\/, "\001", n); gsub("\\\\" sq, sq, n); gsub(/\001/, "\\", n); gsub(/"/, "\"\"", n)
				db = "\"" n "\""
			}
			else if (arg ~ /^-reuse-previous=on /) db = pending
			else if (arg ~ /^"/) db = arg
			else db = "\"" arg "\""
			pending = ""
			next
		}
	'
}

# pg_unquote IDENT: the name inside a quoted identifier ("a""b" is a"b).
pg_unquote() {
	printf '%s' "$1" | sed -e 's/^"//' -e 's/"$//' -e 's/""/"/g'
}

# pg_conninfo_db NAME: a connection string naming database NAME (a bare -d NAME holding '=' would
# be parsed as one).
pg_conninfo_db() {
	printf "dbname='%s'" "$(printf '%s' "$1" | sed "s/[\\\\']/\\\\&/g")"
}
