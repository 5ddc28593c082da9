#!/bin/sh
# Dump step of the kots backup (dump container, kotsadm image: /kots and kubectl), streamed to
# the upload step.
# `kots download --current` saves the deployed version's configuration (ConfigValues stay
# encrypted with the kotsadm-encryption key); the encryption-key Secrets a restore needs are
# exported beside it. Never `-o json`: it makes kots exit 0 on failure.
set -eu
# shellcheck source=jobs/lib.sh
. "${0%/*}/lib.sh"
GGB_STEP=dump-kots

open_channel
need GGB_KOTS_NAMESPACE GGB_KOTS_APP_SLUG GGB_KOTS_SECRETS GGB_COMPRESSION
# The same rules as at preview: a value starting with '-' would otherwise reach kots as a flag.
check_value namespace GGB_KOTS_NAMESPACE "$GGB_KOTS_NAMESPACE"
check_value appSlug GGB_KOTS_APP_SLUG "$GGB_KOTS_APP_SLUG"
check_compression_tool
KOTS=${GGB_KOTS:-/kots}
KUBECTL=${GGB_KUBECTL:-kubectl}
ext=$(compression_ext)

meta tool kots
meta format kots
check_call_timeout
meta toolVersion "$(bounded "$KOTS" version 2>/dev/null | sed -n '1p')"
meta serverVersion ""
log "kots download of app '$GGB_KOTS_APP_SLUG' in namespace '$GGB_KOTS_NAMESPACE', set $BACKUP_ID"

work="$STAGE/.kots"
rm -rf "$work"
# The exported key Secrets never outlive the step on the staging volume, whatever ends it.
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/app" "$work/secrets"
# Outputs are kept in memory: on a full staging volume an error file would stay empty.
rc=0
out=$(bounded "$KOTS" download "$GGB_KOTS_APP_SLUG" --namespace "$GGB_KOTS_NAMESPACE" --current --dest "$work/app" --overwrite 2>&1) || rc=$?
[ "$rc" != 124 ] || die "kots download did not finish within $CALL_TIMEOUT s (GGB_CALL_TIMEOUT)"
[ "$rc" = 0 ] || die "kots download failed: $(error_line_of "$out")"
[ -n "$(ls -A "$work/app")" ] || die "kots download wrote nothing to $work/app"
send "kots-app.tar$ext" compress tar -cf - -C "$work/app" .

# The Secret names are split on commas only; each is passed as one argument.
rest="$GGB_KOTS_SECRETS,"
while [ -n "$rest" ]; do
	secret=${rest%%,*}
	rest=${rest#*,}
	[ -n "$secret" ] || continue
	check_value k8sName "Secret name" "$secret"
	# Bounded from outside: kubectl's own --request-timeout makes it ignore the pod's in-cluster
	# config and call localhost:8080 instead (kubernetes/kubernetes#93474, still so in 1.36).
	rc=0
	err=$(bounded "$KUBECTL" get secret "$secret" --namespace "$GGB_KOTS_NAMESPACE" -o yaml 2>&1 >"$work/secrets/$secret.yaml") || rc=$?
	[ "$rc" != 124 ] || die "kubectl get secret '$secret' did not finish within $CALL_TIMEOUT s (GGB_CALL_TIMEOUT)"
	[ "$rc" = 0 ] || die "cannot export Secret '$secret': $(error_line_of "$err")"
done
send "kots-secrets.tar$ext" compress tar -cf - -C "$work/secrets" .
rm -rf "$work"
close_channel
