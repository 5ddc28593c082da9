# shellcheck shell=sh
# What redis-check-rdb (in the redis image) reads in an RDB file: the facts of a snapshot that its
# backup records (the manifest's keys and databases), its restore uses to tell data from a fresh
# server's files, and a restore drill checks a loaded snapshot against.

# rdb_keys RDB: the keys redis-check-rdb reads in RDB; empty when it cannot tell (not an RDB, say
# an AOF base without the RDB preamble, or no redis-check-rdb).
rdb_keys() {
	redis-check-rdb "$1" 2>/dev/null | sed -n 's/^\[info\] \([0-9][0-9]*\) keys read$/\1/p' | tail -n 1
}

# rdb_databases RDB: the numbers of the databases RDB holds keys of, space-separated, ascending;
# empty when redis-check-rdb cannot read it.
rdb_databases() {
	redis-check-rdb "$1" 2>/dev/null | sed -n 's/^\[offset [0-9]*\] Selecting DB ID \([0-9][0-9]*\)$/\1/p' | sort -n -u | tr '\n' ' ' | sed 's/ $//'
}
