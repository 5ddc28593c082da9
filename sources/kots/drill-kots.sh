#!/bin/sh
# The kots step of a restore drill (init container, kotsadm image): unpacks the fetched set in the
# drill's emptyDir and checks what a restore of the configuration needs: the app archive holds a
# ConfigValues document (kots download's upstream/userdata/config.yaml), every exported Secret
# parses (kubectl's YAML: kind Secret, a data section), and the keys of GGB_DRILL_KOTS_KEYS
# (SECRET/KEY, comma-separated: kotsadm-encryption's encryptionKey, gim-secrets' Django key…) are
# there with a value that decodes. Nothing is applied to the cluster, and no value is printed.
set -eu
# shellcheck source=jobs/lib.sh
. "${0%/*}/lib.sh"
# shellcheck source=jobs/drill-lib.sh
. "${0%/*}/drill-lib.sh"
GGB_STEP=drill-kots

# The key Secrets, unpacked and fetched, never outlive the step, whatever ends it (drill_part_end).
drill_part_begin kots
scratch=$SCRATCH
mkdir -p "$scratch/app" "$scratch/secrets"
start=$(date -u +%s)

# unpack ARTIFACT DIR: the fetched ARTIFACT (kots-app.tar, kots-secrets.tar, any codec) into DIR;
# prints why not.
unpack() {
	_u_file=$(find "$STAGE/kots" -maxdepth 1 -name "$1*" | head -n 1)
	if [ -z "$_u_file" ]; then
		printf 'the set has no %s artifact' "$1"
		return 1
	fi
	rm -f "$scratch/.unpack-failed"
	{ decode "$(codec_of "${_u_file##*/}" "$STAGE/kots")" "$_u_file" 2>"$scratch/.err" || : >"$scratch/.unpack-failed"; } |
		tar -xf - -C "$2" 2>>"$scratch/.err" || : >"$scratch/.unpack-failed"
	if [ -e "$scratch/.unpack-failed" ]; then
		printf 'unpacking %s failed: %s' "${_u_file##*/}" "$(first_line "$scratch/.err")"
		return 1
	fi
}

if why=$(unpack kots-app.tar "$scratch/app"); then
	config=$(grep -rl '^kind: ConfigValues' "$scratch/app" 2>/dev/null | head -n 1 || true)
	if [ -n "$config" ]; then
		record_check kots configuration passed "$(($(date -u +%s) - start))" "ConfigValues in ${config#"$scratch/app/"}"
	else
		record_check kots configuration failed "$(($(date -u +%s) - start))" "the app archive holds no ConfigValues document (kots download's upstream/userdata/config.yaml)"
	fi
else
	record_check kots configuration failed "$(($(date -u +%s) - start))" "$why"
fi

# secret_keys FILE: the keys of a Secret exported by kubectl get -o yaml, one `KEY VALUE` a line
# (the data section: two-space indented `key: base64`, up to the next top-level field); exits 2
# when FILE is not a Secret with a data section.
secret_keys() {
	awk '
		/^kind: Secret$/ { secret = 1 }
		/^data:/ { data = 1; next }
		data && /^[^ ]/ { data = 0 }
		data && /^  [^ ][^:]*: / { k = substr($0, 3); i = index(k, ": "); print substr(k, 1, i - 1), substr(k, i + 2); seen = 1 }
		END { if (!secret || !seen) exit 2 }
	' "$1"
}

checked=0
problem=""
if why=$(unpack kots-secrets.tar "$scratch/secrets"); then
	for f in "$scratch/secrets"/*.yaml; do
		[ -f "$f" ] || continue
		name=${f##*/}
		name=${name%.yaml}
		if ! secret_keys "$f" >"$scratch/$name.keys"; then
			problem="$problem${problem:+; }Secret $name does not parse as a Secret with data"
		fi
	done
	rest="${GGB_DRILL_KOTS_KEYS:-},"
	while [ -n "$rest" ]; do
		want=${rest%%,*}
		rest=${rest#*,}
		[ -n "$want" ] || continue
		secret=${want%%/*} key=${want#*/}
		check_value k8sName "Secret name in GGB_DRILL_KOTS_KEYS" "$secret"
		if [ ! -f "$scratch/secrets/$secret.yaml" ]; then
			problem="$problem${problem:+; }the set has no Secret $secret"
			continue
		fi
		value=$(awk -v k="$key" '$1 == k { print $2; exit }' "$scratch/$secret.keys" 2>/dev/null || true)
		if [ -z "$value" ]; then
			problem="$problem${problem:+; }Secret $secret has no key $key"
		elif [ -z "$(printf '%s' "$value" | base64 -d 2>/dev/null | head -c 1)" ]; then
			problem="$problem${problem:+; }key $key of Secret $secret does not decode to a value"
		else
			checked=$((checked + 1))
		fi
	done
else
	problem=$why
fi
took=$(($(date -u +%s) - start))
record_phase kots verify "$took" check
if [ -n "$problem" ]; then
	record_check kots keys failed "$took" "$problem"
else
	record_check kots keys passed "$took" "$checked keys present and decodable in $(find "$scratch/secrets" -name '*.yaml' | wc -l | tr -d ' ') Secrets"
fi
