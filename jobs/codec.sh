# shellcheck shell=sh
# The codec of the artifacts: compression, then encryption. Sourced by lib.sh.

# The codec seam. How an artifact's bytes are encoded is recorded per artifact in the manifest
# (its "compression"), sent by the dump step with the artifact, and read back by the restore from
# the manifest: never guessed from a file name. A new codec (encryption) is a case in each of
# these functions and a value of check_codec.
#
# Encryption is the last codec of the chain (manifest formatVersion 2: "codecs", then
# "recipients"): the upload step encrypts the bytes the dump step sends, already compressed, to
# age recipients (public keys) as they stream by, so the sha256 and size it records are of the
# ciphertext as stored; the fetch step of a restore or a drill checks those first, then
# decrypts. The cluster holds only the recipients: it writes sets it cannot read.

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

# check_encryption VALUE [NAME]: VALUE is an encryption this version reads (the second codec).
check_encryption() {
	case "$1" in
	age | none) ;;
	*) die "${2:-encryption} '$1' is not one of age, none" ;;
	esac
}

# age_command: leaves AGE set to the age binary ($GGB_AGE; default the one the encryption tool
# image's init container copied), after checking that it runs in this image.
age_command() {
	AGE=${GGB_AGE:-/ggb-tools/age}
	command -v "$AGE" >/dev/null 2>&1 || die "age is not at $AGE: the init container that copies it from encryption.toolImage did not run, or that image has no age at encryption.agePath"
	_age_out=$("$AGE" --version 2>&1) || die "$AGE does not run in this image ($(first_line_of "$_age_out")): the age of encryption.toolImage must be statically linked (CGO_ENABLED=0, as age's release binaries are)"
}

# encryption_recipients FILE: the recipients of GGB_ENCRYPTION_RECIPIENTS (one a line; commas and
# blanks separate too), each checked, written to FILE once each; ENCRYPTED_TO is left set to them
# comma-separated (empty: the artifacts are not encrypted).
encryption_recipients() {
	: >"$1"
	_er_to=""
	# shellcheck disable=SC2020 # each separator becomes a newline (a set of characters, on purpose)
	_er_lines=$(printf '%s\n' "${GGB_ENCRYPTION_RECIPIENTS:-}" | tr ' \t\r,' '\n\n\n\n')
	while IFS= read -r _er; do
		[ -n "$_er" ] || continue
		check_value ageRecipient "a recipient of GGB_ENCRYPTION_RECIPIENTS" "$_er"
		case ",$_er_to," in *",$_er,"*) continue ;; esac
		printf '%s\n' "$_er" >>"$1"
		_er_to="$_er_to${_er_to:+,}$_er"
	done <<_RECIPIENTS_
$_er_lines
_RECIPIENTS_
	# shellcheck disable=SC2034 # read by upload.sh
	ENCRYPTED_TO=$_er_to
}

# codec_of NAME [DIR]: the codec the manifest records for artifact NAME (restore-fetch.sh left the
# list in DIR/.artifacts, DIR by default $STAGE: name key size sha256 codec encryption recipients).
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
