# shellcheck shell=sh
# The channel between the dump step and the upload step. Sourced by lib.sh.

# The dump step streams its artifacts to the upload step, which runs beside it in the same pod
# (two containers sharing the staging folder): nothing is staged that a tool can stream, and the
# upload ends seconds after the dump. The channel is made of FIFOs in the staging folder:
#   .control   text lines, dump -> upload:
#                meta KEY=VALUE        the set's metadata (backupId first); a KEY detail.NAME is
#                                      a fact of the part's dump (the manifest's "details")
#                artifact N NAME CODEC artifact NAME, encoded with CODEC, follows on .data.N
#                sent N                artifact N is complete (the upload may commit it)
#                failed REASON         the dump step stops: REASON
#                done                  every artifact was sent
#   .data.N    the bytes of artifact N (one FIFO each, so an artifact never runs into the next)
# A dump step that dies closes .control without `done`: the upload step then aborts the
# artifact in flight (it never completes) and writes no manifest.
CONTROL_FIFO=.control

# make_fifo PATH: a FIFO both containers can open (they share the pod's fsGroup, hence 0660).
make_fifo() {
	[ -p "$1" ] || mkfifo -m 0660 "$1" 2>/dev/null || [ -p "$1" ] || die "cannot create the FIFO $1"
}

# connect_timeout: seconds the two steps wait for each other at each FIFO (GGB_CONNECT_TIMEOUT).
connect_timeout() {
	check_value connectTimeout GGB_CONNECT_TIMEOUT "${GGB_CONNECT_TIMEOUT:-600}"
	printf '%s' "${GGB_CONNECT_TIMEOUT:-600}"
}

# watch_open FIFO r|w: guards the blocking open of FIFO for reading (r) or writing (w) that
# follows: when the other step never opens it, a watchdog opens it the other way after the
# connect timeout and closes it, so the open returns (then watch_done fails with a reason)
# instead of the wait lasting until the Job's deadline. The watchdog leaves a mark before it
# opens: its exit status cannot tell, as one killed while exiting after firing also reads 137.
watch_open() {
	WATCH_MARK="$STAGE/.timed-out.${GGB_STEP:-job}"
	rm -f "$WATCH_MARK"
	# It holds none of the channel's descriptors: a forgotten holder would hide the other
	# step's end (no EOF, no EPIPE) for as long as it sleeps.
	(
		sleep "$CONNECT_TIMEOUT"
		printf '' >"$WATCH_MARK"
		if [ "$2" = r ]; then : >"$1"; else : <"$1"; fi
	) </dev/null >/dev/null 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	WATCHDOG=$!
}

# watch_done PEER: the guarded open returned. Stops the watchdog with SIGKILL (a freshly forked
# shell may still hold the EXIT trap it inherited, which another signal would run); it fired
# when it left its mark or exited by itself.
watch_done() {
	kill -KILL "$WATCHDOG" 2>/dev/null || true
	_watch_status=0
	wait "$WATCHDOG" 2>/dev/null || _watch_status=$?
	if [ -e "$WATCH_MARK" ] || [ "$_watch_status" != 137 ]; then
		rm -f "$WATCH_MARK"
		die "$1 did not connect within $CONNECT_TIMEOUT s (see its log)"
	fi
}

# open_channel: the dump step's first act, so that any later failure reaches the upload step:
# connects to it (blocks until it listens) and sends the set's id. Leaves BACKUP_ID and STAGE set.
open_channel() {
	need GGB_STAGING_DIR GGB_COMPONENT
	check_component "$GGB_COMPONENT"
	STAGE=$GGB_STAGING_DIR
	[ -d "$STAGE" ] || die "staging folder $STAGE does not exist"
	[ -w "$STAGE" ] || die "staging folder $STAGE is not writable"
	CONNECT_TIMEOUT=$(connect_timeout)
	# A write to a closed channel fails with EPIPE (and a reason) instead of killing the shell.
	trap '' PIPE
	make_fifo "$STAGE/$CONTROL_FIFO"
	watch_open "$STAGE/$CONTROL_FIFO" w
	exec 7>"$STAGE/$CONTROL_FIFO"
	watch_done "the upload step"
	# shellcheck disable=SC2034 # read by die (lib.sh)
	CHANNEL_OPEN=yes
	ARTIFACTS=0
	BACKUP_ID=${GGB_BACKUP_ID:-$(date -u +%Y%m%dT%H%M%SZ)}
	check_backup_id "$BACKUP_ID"
	meta backupId "$BACKUP_ID"
	meta startedAt "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
}

# meta KEY VALUE: a line of the set's metadata (value folded onto one line).
meta() {
	printf 'meta %s=%s\n' "$1" "$(printf '%s' "$2" | tr '\n\r' '  ')" >&7 || die "the upload step stopped listening (see its log)"
}

# send NAME FILTER CMD...: CMD's stdout through FILTER (compress, or a function that ends in
# compress, or cat for bytes already compressed) to the upload step as artifact NAME, with its
# codec ($GGB_COMPRESSION through a compressing filter, none through cat). Fails when CMD fails even though FILTER
# succeeds: there is no pipefail in POSIX sh, so CMD's status comes back on fd 3 after its
# stderr, and both are kept in memory (the staging folder may be full).
send() {
	_send_name=$1 _send_filter=$2
	shift 2
	ARTIFACTS=$((ARTIFACTS + 1))
	_send_fifo="$STAGE/.data.$ARTIFACTS"
	make_fifo "$_send_fifo"
	if [ "$_send_filter" = cat ]; then _send_codec=none; else _send_codec=$GGB_COMPRESSION; fi
	printf 'artifact %s %s %s\n' "$ARTIFACTS" "$_send_name" "$_send_codec" >&7 || die "the upload step stopped listening (see its log)"
	watch_open "$_send_fifo" w
	exec 8>"$_send_fifo"
	watch_done "the upload step"
	_send_frc=0
	_send_out=$({ {
		_send_status=0
		"$@" 2>&3 3>&- 7>&- 8>&- || _send_status=$?
		echo "exit=$_send_status" >&3
	} | "$_send_filter" >&8 3>&- 7>&- 8>&-; } 3>&1) || _send_frc=$?
	exec 8>&-
	rm -f "$_send_fifo"
	_send_rc=$(printf '%s\n' "$_send_out" | sed -n 's/^exit=//p' | tail -n 1)
	if [ "${_send_rc:-1}" != 0 ] && [ "$_send_frc" != 0 ]; then
		# Both ends failed: a broken stream (the upload step stopped reading) breaks CMD too.
		die "sending $_send_name failed: the upload step stopped reading (see its log)"
	fi
	[ "${_send_rc:-1}" = 0 ] || die "$1 failed (exit ${_send_rc:-unknown}): $(first_line_of "$(printf '%s\n' "$_send_out" | grep -v '^exit=' || true)")"
	[ "$_send_frc" = 0 ] || die "sending $_send_name failed (exit $_send_frc): the upload step stopped reading (see its log)"
	printf 'sent %s\n' "$ARTIFACTS" >&7 || die "the upload step stopped listening (see its log)"
}

# close_channel: every artifact was sent; the upload step commits the set.
close_channel() {
	printf 'done\n' >&7 || die "the upload step stopped listening (see its log)"
	exec 7>&-
	# shellcheck disable=SC2034 # read by die (lib.sh)
	CHANNEL_OPEN=""
	log "dump complete: $ARTIFACTS artifacts streamed for set $BACKUP_ID"
}
