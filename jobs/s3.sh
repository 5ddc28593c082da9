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

# s3_put_json KEY: a small JSON document on stdin to the object KEY.
s3_put_json() {
	s3_cli s3 cp --only-show-errors --no-progress --content-type application/json - "s3://$GGB_S3_BUCKET/$1"
}

# s3_get KEY FILE: the object KEY into FILE.
s3_get() {
	s3_cli s3 cp --only-show-errors --no-progress "s3://$GGB_S3_BUCKET/$1" "$2"
}
