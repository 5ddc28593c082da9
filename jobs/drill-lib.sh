# shellcheck shell=sh
# What the steps of a restore drill share (sourced after lib.sh). A drill is a pod of its own: the
# fetch step (drill-fetch.sh) picks and verifies one complete set per part into the staging volume,
# each part's drill step (sources/<part>/drill-<part>.sh) restores it into a scratch server of its
# own container and checks it, and the report step (drill-report.sh) writes the result next to the
# sets. The steps talk through files in $STAGE/drill, one record a line, tab-separated:
#   drill   KEY=VALUE: id, startedAt, start and deadline (epoch seconds), written by the fetch step
#   sets    PART ID: the set drilled of each part
#   checks  PART CHECK VERDICT SECONDS DETAIL: VERDICT is passed, failed, timedOut or skipped
#   phases  PART PHASE SECONDS KIND: KIND recovery (what a restore spends) or check
# A check that fails is recorded, not fatal: the step exits 0 so that the next steps and the
# report still run (an init container that fails stops the pod), and the report fails the Job.

DRILL_TAB=$(printf '\t')

# need_drill_dir: GGB_DRILL_DIR, the scratch servers' emptyDir, is a plain absolute path (pg_ctl
# hands the server's options to a shell).
need_drill_dir() {
	need GGB_DRILL_DIR
	case "$GGB_DRILL_DIR" in
	/*[!A-Za-z0-9/._-]* | [!/]*) die "GGB_DRILL_DIR '$GGB_DRILL_DIR' is not an absolute path of letters, digits, '/', '.', '_', '-'" ;;
	esac
}

# drill_dir: the drill's record folder ($STAGE/drill), made by the fetch step.
drill_dir() {
	printf '%s/drill' "$STAGE"
}

# drill_field KEY: a value the fetch step wrote to the drill record.
drill_field() {
	sed -n "s/^$1=//p" "$(drill_dir)/drill" | tail -n 1
}

# record_check PART CHECK VERDICT SECONDS DETAIL: one check's verdict (the detail folded onto one line).
record_check() {
	printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$(printf '%s' "$5" | tr '\t\n\r' '   ')" >>"$(drill_dir)/checks"
	case "$3" in
	passed | skipped) log "$1 $2: $3${5:+: $5}" ;;
	*) log "$1 $2: $3: $5" ;;
	esac
}

# record_phase PART PHASE SECONDS KIND
record_phase() {
	printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$(drill_dir)/phases"
}

# remaining: seconds left before the drill's deadline (at least 1, so `timeout` gets a duration).
remaining() {
	_rem=$(($(drill_field deadline) - $(date -u +%s)))
	[ "$_rem" -gt 0 ] || _rem=1
	printf '%s' "$_rem"
}

# past_deadline: whether the drill's deadline has passed.
past_deadline() {
	[ "$(date -u +%s)" -ge "$(drill_field deadline)" ]
}

# timed CMD...: runs CMD bounded by the drill's deadline; sets TIMED_STATUS to its exit status
# (124 when the deadline stopped it; busybox's timeout says 143) and TIMED_SECONDS to the seconds
# it took.
timed() {
	_t_start=$(date -u +%s)
	TIMED_STATUS=0
	timeout "$(remaining)" "$@" || TIMED_STATUS=$?
	[ "$TIMED_STATUS" != 143 ] || TIMED_STATUS=124
	# shellcheck disable=SC2034 # read by the steps that source this file
	TIMED_SECONDS=$(($(date -u +%s) - _t_start))
}

# record_timed PART CHECK DETAIL ERRFILE: the verdict of the last `timed` command: passed with
# DETAIL, timedOut, or failed with the reason its stderr (ERRFILE) ends with; returns 1 unless
# it passed.
record_timed() {
	case "$TIMED_STATUS" in
	0) record_check "$1" "$2" passed "$TIMED_SECONDS" "$3" ;;
	124)
		record_check "$1" "$2" timedOut "$TIMED_SECONDS" "still running at the drill's deadline"
		return 1
		;;
	*)
		record_check "$1" "$2" failed "$TIMED_SECONDS" "$(reason_of "$4")"
		return 1
		;;
	esac
}

# drill_part_ready PART: whether the fetch step verified PART's set; returns 1 when PART is not
# drilled, and records why (and returns 1) when its set was not verified or the deadline has
# passed. Dies when there is no drill record at all.
drill_part_ready() {
	[ -f "$(drill_dir)/drill" ] || die "no drill record in $(drill_dir): the fetch step did not run"
	# Not drilled (grep 1) is not the same as an unreadable record (grep 2): that one says why.
	_dpr_status=0
	_dpr_err=$(grep -q "^$1$DRILL_TAB" "$(drill_dir)/sets" 2>&1) || _dpr_status=$?
	case "$_dpr_status" in
	0) ;;
	1) return 1 ;;
	*) die "cannot read the drill record $(drill_dir)/sets: ${_dpr_err:-grep exit $_dpr_status}" ;;
	esac
	if [ ! -f "$STAGE/$1/.fetch-complete" ]; then
		record_check "$1" restore skipped 0 "the set was not fetched and verified"
		return 1
	fi
	if past_deadline; then
		record_check "$1" restore timedOut 0 "the drill's deadline passed before this part's turn"
		return 1
	fi
}

# part_field PART NAME: a field of PART's fetched set (restore-fetch.sh's .set, as set_field reads it).
part_field() {
	sed -n "s/^$2=//p" "$STAGE/$1/.set" 2>/dev/null | sed -n '1p'
}

# drill_part_begin PART: the opening of a part's drill step. Checks its variables, sets STAGE and
# SCRATCH (the part's own folder on the scratch volume, made empty), and makes the step remove
# that folder and the part's fetched set whenever it ends (drill_part_end), so no copy of
# production stays on the node; exits 0 at once when PART is not drilled (drill_part_ready).
drill_part_begin() {
	need GGB_STAGING_DIR
	need_drill_dir
	STAGE=$GGB_STAGING_DIR
	DRILL_PART=$1
	drill_part_ready "$DRILL_PART" || exit 0
	SCRATCH="$GGB_DRILL_DIR/$DRILL_PART"
	rm -rf "$SCRATCH"
	mkdir -p "$SCRATCH"
	trap drill_part_end EXIT
}

# drill_part_end: removes the step's scratch folder and its part's fetched set (its EXIT trap;
# a step that starts a server stops it first, then calls this).
drill_part_end() {
	rm -rf "${SCRATCH:?}" "${STAGE:?}/${DRILL_PART:?}"
}

# reason_of FILE: the reason a step died with (its last `step: reason` line), for a check's detail.
reason_of() {
	# shellcheck disable=SC2016 # sed's $ (the last line), not the shell's
	sed -n '/[^[:space:]]/h; ${x;p;}' "$1" | tr -d '\n' | tr '\r' ' '
}
