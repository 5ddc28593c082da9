# shellcheck shell=sh
# What redis-check-rdb (in the redis image) reads in an RDB file: the facts of a snapshot that its
# backup records (the manifest's keys and databases), its restore uses to tell data from a fresh
# server's files, and a restore drill checks a loaded snapshot against.

# rdb_keys RDB: the keys redis-check-rdb reads in RDB; empty when it cannot tell (not an RDB, say
# an AOF base without the RDB preamble, or no redis-check-rdb).
rdb_keys() {
	redis-check-rdb "$1" 2>/dev/null | sed -n 's/^\[info\] \([0-9][0-9]*\) keys read$/\1/p' | tail -n 1
}

# rdb_facts RDB: what one reading of RDB finds, on one line: the keys, then the numbers of the
# databases holding them (in the file's order: Redis writes them ascending); empty when
# redis-check-rdb cannot read it. One pass: the check reads the whole snapshot.
rdb_facts() {
	redis-check-rdb "$1" 2>/dev/null | awk '
		/^\[offset [0-9]+\] Selecting DB ID [0-9]+$/ { dbs = dbs " " $NF }
		/^\[info\] [0-9]+ keys read$/ { keys = $2 }
		END { if (keys != "") print keys dbs }'
}
