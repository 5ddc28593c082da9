# shellcheck shell=sh
# The scripts' S3 client, behind four functions: replacing the uploader (the aws CLI today) is
# this file. Sourced by lib.sh. Errors go to stderr; callers keep the first line as their reason.
# TypeScript's side of the same seam is core/objectStore.ts.

# s3_cli ARGS...: the aws CLI against the configured endpoint.
s3_cli() {
	if [ -n "${GGB_S3_ENDPOINT:-}" ]; then
		${GGB_AWS:-aws} --endpoint-url "$GGB_S3_ENDPOINT" "$@"
	else
		${GGB_AWS:-aws} "$@"
	fi
}

# s3_put_stream KEY: stdin to the object KEY of the bucket, replacing the shell, so that a
# background `s3_put_stream KEY &` makes $! the client itself: killing $! before stdin ends
# leaves the object uncompleted (a started multipart upload is left to the bucket's lifecycle).
s3_put_stream() {
	if [ -n "${GGB_S3_ENDPOINT:-}" ]; then
		exec ${GGB_AWS:-aws} --endpoint-url "$GGB_S3_ENDPOINT" s3 cp --only-show-errors --no-progress - "s3://$GGB_S3_BUCKET/$1"
	else
		exec ${GGB_AWS:-aws} s3 cp --only-show-errors --no-progress - "s3://$GGB_S3_BUCKET/$1"
	fi
}

# s3_stream_settings DIR: the aws CLI's settings for the streamed uploads, in a config file of
# their own in DIR. The CLI cannot know a stream's size, so it keeps its 8 MiB parts, and S3 takes
# at most 10,000 parts: 78 GiB. The part size ($GGB_S3_PART_SIZE_MIB, 128 by default as in
# TypeScript's DEFAULTS) sets that ceiling; the memory it costs is checked at preview.
s3_stream_settings() {
	_s3_part=${GGB_S3_PART_SIZE_MIB:-128}
	check_value uploadPartSizeMiB GGB_S3_PART_SIZE_MIB "$_s3_part"
	# "MB" is 2^20 bytes to the aws CLI.
	printf '[default]\ns3 =\n  multipart_chunksize = %sMB\n  multipart_threshold = %sMB\n' "$_s3_part" "$_s3_part" >"$1/aws-config" ||
		die "cannot write the aws CLI settings in $1"
	AWS_CONFIG_FILE="$1/aws-config"
	export AWS_CONFIG_FILE
}

# s3_put_json KEY: a small JSON document on stdin to the object KEY.
s3_put_json() {
	s3_cli s3 cp --only-show-errors --no-progress --content-type application/json - "s3://$GGB_S3_BUCKET/$1"
}

# s3_get KEY FILE: the object KEY into FILE.
s3_get() {
	s3_cli s3 cp --only-show-errors --no-progress "s3://$GGB_S3_BUCKET/$1" "$2"
}

# s3_list_keys PREFIX FILE: every key under PREFIX into FILE, one per line (the CLI follows the
# pages itself). Not a pipe: a failed listing must fail, not read as an empty one.
s3_list_keys() {
	s3_cli s3api list-objects-v2 --bucket "$GGB_S3_BUCKET" --prefix "$1" --output json --query '{keys: Contents[].Key}' >"$2.json" &&
		${GGB_JQ:-jq} -r '.keys // [] | .[]' <"$2.json" >"$2"
}

# s3_delete_keys FILE: deletes the keys listed in FILE (one per line, at most 1000: one request);
# the keys S3 did not delete, with its reason, into FILE.errors, one per line.
s3_delete_keys() {
	${GGB_JQ:-jq} -R -s '{Objects: (split("\n") | map(select(length > 0)) | map({Key: .})), Quiet: true}' <"$1" >"$1.json" &&
		s3_cli s3api delete-objects --bucket "$GGB_S3_BUCKET" --delete "file://$1.json" --output json >"$1.answer" &&
		${GGB_JQ:-jq} -r '.Errors // [] | .[] | "\(.Key): \(.Code) \(.Message)"' <"$1.answer" >"$1.errors"
}

# sets_in BASE KEYS: the sets among the keys listed in KEYS (s3_list_keys of BASE, a part's
# folder), newest first, one `ID complete|incomplete` a line. A set is complete when its
# manifest.json (the commit marker, written last) is there; keys outside the layout are not ours.
sets_in() {
	awk -v base="$1" '
		index($0, base) == 1 {
			n = split(substr($0, length(base) + 1), p, "/")
			if (n < 2 || p[1] !~ /^[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z$/) next
			seen[p[1]] = 1
			if (n == 2 && p[2] == "manifest.json") complete[p[1]] = 1
		}
		END { for (id in seen) print id, ((id in complete) ? "complete" : "incomplete") }
	' "$2" | sort -r
}
