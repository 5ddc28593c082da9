# shellcheck shell=sh
# The codec of the artifacts (compression today, encryption next). Sourced by lib.sh.

# The codec seam. How an artifact's bytes are encoded is recorded per artifact in the manifest
# (its "compression"), sent by the dump step with the artifact, and read back by the restore from
# the manifest: never guessed from a file name. A new codec (encryption) is a case in each of
# these functions and a value of check_codec.

# check_codec CODEC [NAME]: CODEC (the value of NAME, when given) is a codec of this version.
check_codec() {
	case "$1" in
	gzip | zstd | none) ;;
	*) die "${2:-codec} '$1' is not one of gzip, zstd, none" ;;
	esac
}

# codec_ext CODEC: the file suffix of an artifact encoded with CODEC (names stay readable).
codec_ext() {
	check_codec "$1"
	case "$1" in
	gzip) printf '.gz' ;;
	zstd) printf '.zst' ;;
	esac
}

# compression_ext: the file suffix of $GGB_COMPRESSION.
compression_ext() {
	codec_ext "$GGB_COMPRESSION"
}

# compress: stdin to stdout with $GGB_COMPRESSION. pigz (parallel gzip) is used when the
# image has it: single-threaded gzip is the bottleneck of a large dump. zstd runs single-threaded:
# it outpaces the single stream of a dump (docs/performance.md) and its worker buffers would
# add some 40 MB to the dump container.
compress() {
	check_codec "$GGB_COMPRESSION"
	case "$GGB_COMPRESSION" in
	gzip)
		if command -v pigz >/dev/null 2>&1; then
			pigz -c "-${GGB_COMPRESSION_LEVEL:-1}"
		else
			gzip -c "-${GGB_COMPRESSION_LEVEL:-1}"
		fi
		;;
	zstd) zstd -q -c --single-thread "-${GGB_COMPRESSION_LEVEL:-3}" ;;
	none) cat ;;
	esac
}

# decode CODEC FILE: FILE's content, decoded, on stdout.
decode() {
	check_codec "$1"
	case "$1" in
	gzip) gzip -dc "$2" ;;
	zstd) zstd -q -dc "$2" ;;
	none) cat "$2" ;;
	esac
}

# codec_of NAME [DIR]: the codec the manifest records for artifact NAME (restore-fetch.sh left the
# list in DIR/.artifacts, DIR by default $STAGE: name key size sha256 codec).
codec_of() {
	_codec=$(awk -v n="$1" '$1 == n { print $5; exit }' "${2:-$STAGE}/.artifacts")
	[ -n "$_codec" ] || die "artifact $1 is not in the fetched set"
	printf '%s' "$_codec"
}

# set_field NAME: a field of the fetched set ($STAGE/.set, left by restore-fetch.sh).
set_field() {
	sed -n "s/^$1=//p" "$STAGE/.set" | sed -n '1p'
}

# check_compression_tool: the compressor exists in this image, and the level suits it.
check_compression_tool() {
	check_codec "$GGB_COMPRESSION" GGB_COMPRESSION
	if [ -n "${GGB_COMPRESSION_LEVEL:-}" ] && [ "$GGB_COMPRESSION" != none ]; then
		check_value "${GGB_COMPRESSION}Level" GGB_COMPRESSION_LEVEL "$GGB_COMPRESSION_LEVEL"
	fi
	case "$GGB_COMPRESSION" in
	gzip) command -v gzip >/dev/null 2>&1 || command -v pigz >/dev/null 2>&1 || die "gzip is not in this image" ;;
	zstd) command -v zstd >/dev/null 2>&1 || die "zstd is not in this image; use compression gzip" ;;
	esac
}
