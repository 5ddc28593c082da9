# shellcheck shell=sh
# What redis-check-rdb (in the redis image) reads in an RDB file: the facts of a snapshot that its
# backup records (the manifest's keys and databases), its restore uses to tell data from a fresh
# server's files, and a restore drill checks a loaded snapshot against.

# rdb_keys RDB: the keys redis-check-rdb reads in RDB; empty when it cannot tell (not an RDB, say
# an AOF base without the RDB preamble, or no redis-check-rdb).
rdb_keys() {
	redis-check-rdb "$1" 2>/dev/null | sed -n 's/^\[info\] \([0-9][0-9]*\) keys read$/\1/p' | tail -n 1
}

# rdb_facts RDB: what one reading of RDB finds, on one line: the keys, then each database that
# holds keys as NUMBER:KEYS (in the file's order: Redis writes them ascending); empty when
# redis-check-rdb cannot read it. One pass of the check (it reads the whole snapshot); a
# database's key count is the RESIZEDB record Redis writes right after selecting it (opcode
# 251, then the number of keys, length-encoded), read at the offset the check prints; a
# database without that record (an RDB from before Redis 3.2) is listed as NUMBER:? .
rdb_facts() {
	# A snapshot the check rejects records nothing (its "keys read" would be a partial count).
	_rf_check=$(redis-check-rdb "$1" 2>/dev/null) || return 0
	_rf_keys=$(printf '%s\n' "$_rf_check" | sed -n 's/^\[info\] \([0-9][0-9]*\) keys read$/\1/p' | tail -n 1)
	[ -n "$_rf_keys" ] || return 0
	_rf_line=$_rf_keys
	for _rf_at in $(printf '%s\n' "$_rf_check" | sed -n 's/^\[offset \([0-9][0-9]*\)\] Selecting DB ID \([0-9][0-9]*\)$/\1:\2/p'); do
		_rf_size=$(od -An -tu1 -j "${_rf_at%%:*}" -N 10 "$1" | awk '
			{ for (i = 1; i <= NF; i++) b[n++] = $i }
			END {
				if (b[0] != 251) { print "?"; exit }
				t = int(b[1] / 64)
				if (t == 0) v = b[1] % 64
				else if (t == 1) v = (b[1] % 64) * 256 + b[2]
				else if (b[1] == 128) v = ((b[2] * 256 + b[3]) * 256 + b[4]) * 256 + b[5]
				else { print "?"; exit }
				print v
			}')
		_rf_line="$_rf_line ${_rf_at#*:}:$_rf_size"
	done
	printf '%s\n' "$_rf_line"
}
