/**
 * TEST DOUBLES of the `kots` and `kubectl` CLIs for jobs/dump-kots.sh. They are small sh
 * scripts, not the real tools: each records its argv (one argument per line, one file per call,
 * plus a NUL-separated copy for exact comparison) and fakes only the calls the dump step makes:
 *
 *   kots version
 *   kots download <slug> --namespace <ns> --current --dest <D> --overwrite
 *       writes D/<slug>/ with the layout of a real `kots download`: upstream/userdata/
 *       (config.yaml with a ConfigValues document, installation.yaml, license.yaml),
 *       upstream/ manifests, base/, overlays/midstream/, overlays/downstreams/this-cluster/
 *       (each with a kustomization.yaml)
 *   kubectl get secret <name> --namespace <ns> -o yaml
 *       prints the Secret as YAML (NotFound for an unknown name or namespace)
 *
 * Either can be told to fail: it then prints the given message on stderr and exits non-zero.
 * Any other argument shape exits 2 with "unexpected arguments", so a changed call is noticed.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { makeTempDir } from "./proc";

export interface FakeTool {
    /** Absolute path of the executable (give it as GGB_KOTS / GGB_KUBECTL). */
    readonly bin: string;
    /** Folder holding the state and the recorded calls. */
    readonly stateDir: string;
    /** Every call's argv so far, in order. */
    calls(): string[][];
    /** Every call's argv file (one argument per line), in order. */
    argvFiles(): string[];
    /** From now on, every call prints `message` on stderr and exits `code`. */
    fail(message: string, code?: number): void;
    /** Undoes `fail`. */
    succeed(): void;
    /** Forgets the recorded calls. */
    reset(): void;
}

/** sh single-quoted literal. */
function shq(value: string): string {
    return `'${value.replace(/'/g, `'\\''`)}'`;
}

const RECORD = `
state=$STATE
mkdir -p "$state/calls"
n=$(( $(cat "$state/count" 2>/dev/null || echo 0) + 1 ))
echo "$n" >"$state/count"
n=$(printf '%04d' "$n")
if [ $# -gt 0 ]; then printf '%s\\n' "$@" >"$state/calls/$n.argv"; else : >"$state/calls/$n.argv"; fi
if [ $# -gt 0 ]; then printf '%s\\0' "$@" >"$state/calls/$n.argv0"; else : >"$state/calls/$n.argv0"; fi
if [ -f "$state/fail-message" ]; then
	cat "$state/fail-message" >&2
	exit "$(cat "$state/fail-code")"
fi
`;

function makeTool(name: string, body: string, dir?: string): FakeTool {
    const root = dir ?? makeTempDir(`fake-${name}`);
    const stateDir = path.join(root, `${name}-state`);
    const binDir = path.join(root, "bin");
    fs.mkdirSync(path.join(stateDir, "calls"), { recursive: true });
    fs.mkdirSync(binDir, { recursive: true });
    const bin = path.join(binDir, name);
    const script = `#!/bin/sh
# TEST DOUBLE of \`${name}\` for the pulumi-gitguardian-backup job tests (harness/fakeKots.ts).
# It is not the real ${name}: it records its argv and fakes the few calls jobs/dump-kots.sh makes.
set -eu
STATE=${shq(stateDir)}
${RECORD}
${body}
`;
    fs.writeFileSync(bin, script, { mode: 0o755 });
    const callsDir = path.join(stateDir, "calls");
    const files = (ext: string): string[] =>
        fs
            .readdirSync(callsDir)
            .filter((f) => f.endsWith(ext))
            .sort()
            .map((f) => path.join(callsDir, f));
    return {
        bin,
        stateDir,
        argvFiles: () => files(".argv"),
        calls: () =>
            files(".argv0").map((f) => {
                const raw = fs.readFileSync(f, "utf8");
                return raw === "" ? [] : raw.slice(0, -1).split("\0");
            }),
        fail: (message, code = 1) => {
            fs.writeFileSync(path.join(stateDir, "fail-message"), message + "\n");
            fs.writeFileSync(path.join(stateDir, "fail-code"), String(code));
        },
        succeed: () => {
            fs.rmSync(path.join(stateDir, "fail-message"), { force: true });
            fs.rmSync(path.join(stateDir, "fail-code"), { force: true });
        },
        reset: () => {
            fs.rmSync(callsDir, { recursive: true, force: true });
            fs.mkdirSync(callsDir);
            fs.rmSync(path.join(stateDir, "count"), { force: true });
        },
    };
}

export const FAKE_KOTS_VERSION = "1.124.3";

/** The files (relative to D/<slug>/) the kots double writes on download. */
export const KOTS_LAYOUT = [
    "upstream/userdata/config.yaml",
    "upstream/userdata/installation.yaml",
    "upstream/userdata/license.yaml",
    "upstream/gitguardian-config.yaml",
    "upstream/gitguardian-app.yaml",
    "base/kustomization.yaml",
    "base/gitguardian-app.yaml",
    "overlays/midstream/kustomization.yaml",
    "overlays/downstreams/this-cluster/kustomization.yaml",
] as const;

/** A kots double that knows one app `appSlug` in `namespace`. */
export function makeFakeKots(opts: { appSlug: string; namespace: string; dir?: string }): FakeTool {
    const body = `
APP_SLUG=${shq(opts.appSlug)}
APP_NAMESPACE=${shq(opts.namespace)}
case "\${1:-}" in
version)
	[ $# -eq 1 ] || { echo "fake kots: unexpected arguments to version" >&2; exit 2; }
	echo "Replicated KOTS ${FAKE_KOTS_VERSION}"
	exit 0
	;;
download) ;;
*)
	echo "fake kots: unexpected arguments" >&2
	exit 2
	;;
esac
if ! { [ $# -eq 8 ] && [ "$3" = --namespace ] && [ "$5" = --current ] && [ "$6" = --dest ] && [ "$8" = --overwrite ]; }; then
	echo "fake kots: unexpected arguments to download" >&2
	exit 2
fi
slug=$2 ns=$4 dest=$7
if [ "$ns" != "$APP_NAMESPACE" ]; then
	echo "Error: failed to find kotsadm pod: no pod found in namespace $ns" >&2
	exit 1
fi
if [ "$slug" != "$APP_SLUG" ]; then
	echo "Error: failed to download app: app $slug not found" >&2
	exit 1
fi
[ -d "$dest" ] || { echo "Error: dest $dest does not exist" >&2; exit 1; }
app="$dest/$slug"
mkdir -p "$app/upstream/userdata" "$app/base" "$app/overlays/midstream" "$app/overlays/downstreams/this-cluster"
cat >"$app/upstream/userdata/config.yaml" <<EOF
# written by the kots TEST DOUBLE
apiVersion: kots.io/v1beta1
kind: ConfigValues
metadata:
  creationTimestamp: null
  name: $slug
spec:
  values:
    app_hostname:
      value: gitguardian.example.test
    postgres_host:
      value: postgres.example.test
    django_secret_key:
      valuePlaintext: ""
      value: "encrypted:bm90LWEtcmVhbC1zZWNyZXQ="
status: {}
EOF
cat >"$app/upstream/userdata/installation.yaml" <<EOF
apiVersion: kots.io/v1beta1
kind: Installation
metadata:
  creationTimestamp: null
  name: $slug
spec:
  channelID: stable
  channelName: Stable
  versionLabel: 2024.11.0
  updateCursor: "1234"
  encryptionKey: bm90LWEtcmVhbC1lbmNyeXB0aW9uLWtleQ==
status: {}
EOF
cat >"$app/upstream/userdata/license.yaml" <<EOF
apiVersion: kots.io/v1beta1
kind: License
metadata:
  name: test-double-license
spec:
  appSlug: $slug
  licenseID: test-double
EOF
cat >"$app/upstream/gitguardian-config.yaml" <<EOF
apiVersion: kots.io/v1beta1
kind: Config
metadata:
  name: $slug
spec:
  groups: []
EOF
cat >"$app/upstream/gitguardian-app.yaml" <<EOF
apiVersion: apps/v1
kind: Deployment
metadata:
  name: webapp
EOF
cp "$app/upstream/gitguardian-app.yaml" "$app/base/gitguardian-app.yaml"
cat >"$app/base/kustomization.yaml" <<EOF
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- gitguardian-app.yaml
EOF
cat >"$app/overlays/midstream/kustomization.yaml" <<EOF
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
bases:
- ../../base
EOF
cat >"$app/overlays/downstreams/this-cluster/kustomization.yaml" <<EOF
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
bases:
- ../../midstream
EOF
echo "  • Connecting to cluster ✓"
echo "  • Downloading Application ✓"
echo ""
echo "    Application manifests downloaded to $dest/$slug"
`;
    return makeTool("kots", body, opts.dir);
}

/**
 * THE kubectl double of the tests (backup jobs and restore alike): `kubectl get secret <name>
 * --namespace <ns> -o yaml`, the one call dump-kots.sh makes, for the given Secrets (name -> key
 * -> plain value) in `namespace`. Anything else exits 2.
 */
export function makeFakeKubectl(opts: { namespace: string; secrets: Record<string, Record<string, string>>; dir?: string }): FakeTool {
    const cases = Object.entries(opts.secrets)
        .map(([name, data]) => {
            const lines = Object.entries(data)
                .map(([k, v]) => `  ${k}: ${Buffer.from(v).toString("base64")}`)
                .join("\n");
            // As kubectl prints it: with the cluster metadata a restore must strip.
            const metadata = `  creationTimestamp: "2026-11-01T10:00:00Z"\n  managedFields:\n  - manager: kotsadm\n    operation: Update\n  name: ${name}\n  namespace: ${opts.namespace}\n  resourceVersion: "4242"\n  uid: 0b5d8a4e-0000-4000-8000-${name.length.toString().padStart(12, "0")}`;
            return `${shq(name)})\n\tcat <<'EOF'\napiVersion: v1\ndata:\n${lines}\nkind: Secret\nmetadata:\n${metadata}\ntype: Opaque\nEOF\n\t;;`;
        })
        .join("\n");
    const body = `
NAMESPACE=${shq(opts.namespace)}
if ! { [ $# -eq 7 ] && [ "$1" = get ] && [ "$2" = secret ] && [ "$4" = --namespace ] && [ "$6" = -o ] && [ "$7" = yaml ]; }; then
	echo "fake kubectl: unexpected arguments" >&2
	exit 2
fi
name=$3 ns=$5
if [ "$ns" != "$NAMESPACE" ]; then
	echo "Error from server (NotFound): secrets \\"$name\\" not found" >&2
	exit 1
fi
secret() {
	case "$name" in
${cases}
	*)
		echo "Error from server (NotFound): secrets \\"$name\\" not found" >&2
		exit 1
		;;
	esac
}
secret
`;
    return makeTool("kubectl", body, opts.dir);
}
