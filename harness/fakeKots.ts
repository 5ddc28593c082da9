/**
 * TEST DOUBLES of the `kots` and `kubectl` CLIs: THE kots double and THE kubectl double of the
 * tests, for the backup's jobs/dump-kots.sh and the restore's kots steps alike (one double per
 * tool, so the backup and the restore are proven against the same fake behaviour). They are
 * small sh scripts, not the real tools: each records every call in one folder per call (its argv
 * one argument per line, plus a NUL-separated copy for exact comparison) and fakes only the calls
 * the package makes:
 *
 *   kots version
 *   kots download <slug> --namespace <ns> --current --dest <D> --overwrite
 *       writes D/<slug>/ with the layout of a real `kots download`: upstream/userdata/
 *       (config.yaml with a ConfigValues document, installation.yaml, license.yaml),
 *       upstream/ manifests, base/, overlays/midstream/, overlays/downstreams/this-cluster/
 *       (each with a kustomization.yaml)
 *   kots install <slug> --namespace <ns> --license-file <F> --no-port-forward --wait-duration <d> [--skip-preflights]
 *       F must be a readable file (its content is kept); KOTS_SHARED_PASSWORD must be set.
 *   kots upload <dir> --namespace <ns> --slug <slug> [--deploy] [--skip-preflights]
 *       <dir> must have kots download's layout (upstream/userdata/config.yaml, base/,
 *       overlays/midstream/, overlays/downstreams/); the uploaded config.yaml and file list are kept.
 *   kubectl get secret <name> --namespace <ns> -o yaml
 *       prints the Secret as YAML (NotFound for an unknown name or namespace)
 *
 * The kots double also records whether KOTS_SHARED_PASSWORD and KUBECONFIG were set, since the
 * restore passes both through the environment and the tests check what reached kots.
 *
 * Either can be told to fail (the kots double optionally for one subcommand only): it then prints
 * the given message on stderr and exits non-zero. Any other argument shape exits 2 with
 * "unexpected arguments", so a changed call is noticed.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { makeTempDir } from "./proc";

/** What both doubles have. */
interface FakeBin {
    /** Absolute path of the executable (give it as GGB_KOTS / GGB_KUBECTL / kots.kotsCommand). */
    readonly bin: string;
    /** Folder holding the state and the recorded calls. */
    readonly stateDir: string;
    /** Every call's argv file (one argument per line), in order. */
    argvFiles(): string[];
    /** From now on, every call (or, with `command`, only calls of that subcommand) hangs (an hour). */
    hang(command?: string): void;
    /** Undoes `fail` and `hang`. */
    succeed(): void;
    /** Forgets the recorded calls. */
    reset(): void;
}

/** The kubectl double. */
export interface FakeTool extends FakeBin {
    /** Every call's argv so far, in order. */
    calls(): string[][];
    /** From now on, every call prints `message` on stderr and exits `code`. */
    fail(message: string, code?: number): void;
}

/** One recorded call of the kots double. A field is absent when the call did not have it. */
export interface KotsCall {
    argv: string[];
    /** KOTS_SHARED_PASSWORD as the double saw it (tests compare it; it is a test value). */
    sharedPassword?: string;
    /** KUBECONFIG as the double saw it. */
    kubeconfigEnv?: string;
    /** install: content of --license-file at the time of the call. */
    license?: string;
    /** upload: upstream/userdata/config.yaml of the uploaded folder. */
    uploadedConfig?: string;
    /** upload: files (relative, sorted) of the uploaded folder. */
    uploadedFiles?: string[];
}

/** The kots double. */
export interface FakeKots extends FakeBin {
    /** Every call so far, in order. */
    calls(): KotsCall[];
    /** Every call's argv so far, in order (the backup tests compare only these). */
    argvs(): string[][];
    /**
     * From now on, every call (or, with `command`, only calls of that subcommand: download,
     * install, upload...) prints `message` on stderr and exits `code`.
     */
    fail(message: string, code?: number, command?: string): void;
}

/** sh single-quoted literal. */
function shq(value: string): string {
    return `'${value.replace(/'/g, `'\\''`)}'`;
}

// Records the call in $STATE/calls/<n>/ (then `extra`), then fails if told to: a failing call is
// recorded too, so a test sees which call failed. The state folder is (re)made first: a container
// that runs the double without the state mounted (test/engine/backups.test.ts: kubectl) records
// into its own throwaway copy instead of failing.
const RECORD = (extra: string): string => `
mkdir -p "$STATE/calls"
n=$(( $(cat "$STATE/count" 2>/dev/null || echo 0) + 1 ))
echo "$n" >"$STATE/count"
d="$STATE/calls/$(printf '%04d' "$n")"
mkdir -p "$d"
if [ $# -gt 0 ]; then printf '%s\\n' "$@" >"$d/argv"; else : >"$d/argv"; fi
if [ $# -gt 0 ]; then printf '%s\\0' "$@" >"$d/argv0"; else : >"$d/argv0"; fi
${extra}
if [ -f "$STATE/hang-command" ] && { [ ! -s "$STATE/hang-command" ] || [ "$(cat "$STATE/hang-command")" = "\${1:-}" ]; }; then
	exec sleep 3600
fi
if [ -f "$STATE/fail-message" ] && { [ ! -f "$STATE/fail-command" ] || [ "$(cat "$STATE/fail-command")" = "\${1:-}" ]; }; then
	cat "$STATE/fail-message" >&2
	exit "$(cat "$STATE/fail-code")"
fi
`;

interface Tool {
    bin: string;
    stateDir: string;
    callDirs(): string[];
    argv(callDir: string): string[];
    fail(message: string, code?: number, command?: string): void;
    hang(command?: string): void;
    succeed(): void;
    reset(): void;
}

function makeTool(name: string, body: string, opts: { dir?: string; record?: string } = {}): Tool {
    const root = opts.dir ?? makeTempDir(`fake-${name}`);
    const stateDir = path.join(root, `${name}-state`);
    const binDir = path.join(root, "bin");
    const callsDir = path.join(stateDir, "calls");
    fs.mkdirSync(callsDir, { recursive: true });
    fs.mkdirSync(binDir, { recursive: true });
    const bin = path.join(binDir, name);
    const script = `#!/bin/sh
# TEST DOUBLE of \`${name}\` for the pulumi-gitguardian-backup tests (harness/fakeKots.ts).
# It is not the real ${name}: it records its argv and fakes the few calls the package makes.
set -eu
STATE=${shq(stateDir)}
${RECORD(opts.record ?? "")}
${body}
`;
    fs.writeFileSync(bin, script, { mode: 0o755 });
    const state = (f: string): string => path.join(stateDir, f);
    return {
        bin,
        stateDir,
        callDirs: () =>
            fs
                .readdirSync(callsDir)
                .sort()
                .map((n) => path.join(callsDir, n)),
        argv: (callDir) => {
            const raw = fs.readFileSync(path.join(callDir, "argv0"), "utf8");
            return raw === "" ? [] : raw.slice(0, -1).split("\0");
        },
        fail: (message, code = 1, command) => {
            fs.writeFileSync(state("fail-message"), message + "\n");
            fs.writeFileSync(state("fail-code"), String(code));
            if (command) fs.writeFileSync(state("fail-command"), command);
            else fs.rmSync(state("fail-command"), { force: true });
        },
        hang: (command) => fs.writeFileSync(state("hang-command"), command ?? ""),
        succeed: () => {
            for (const f of ["fail-command", "fail-message", "fail-code", "hang-command"]) fs.rmSync(state(f), { force: true });
        },
        reset: () => {
            fs.rmSync(callsDir, { recursive: true, force: true });
            fs.mkdirSync(callsDir);
            fs.rmSync(state("count"), { force: true });
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

/**
 * THE kots double. `download` knows one app `appSlug` in `namespace` (what the backup of that app
 * finds); `install` and `upload` check what kots needs on disk and in the environment, not the
 * slug or namespace (the restore tests compare those in the recorded argv).
 */
export function makeFakeKots(opts: { appSlug: string; namespace: string; dir?: string }): FakeKots {
    const record = `
if [ -n "\${KOTS_SHARED_PASSWORD+x}" ]; then printf '%s' "$KOTS_SHARED_PASSWORD" >"$d/password"; fi
if [ -n "\${KUBECONFIG+x}" ]; then printf '%s' "$KUBECONFIG" >"$d/kubeconfig-env"; fi
`;
    const body = `
APP_SLUG=${shq(opts.appSlug)}
APP_NAMESPACE=${shq(opts.namespace)}
unexpected() { printf 'fake kots: unexpected arguments: %s\\n' "$*" >&2; exit 2; }
case "\${1:-}" in
version)
	[ $# -eq 1 ] || unexpected "$@"
	echo "Replicated KOTS ${FAKE_KOTS_VERSION}"
	exit 0
	;;
download) ;;
install)
	[ $# -ge 9 ] || unexpected "$@"
	[ "$3" = --namespace ] && [ "$5" = --license-file ] && [ "$7" = --no-port-forward ] && [ "$8" = --wait-duration ] || unexpected "$@"
	[ -r "$6" ] || { echo "Error: failed to get license: open $6: no such file or directory" >&2; exit 1; }
	cp "$6" "$d/license"
	[ -n "\${KOTS_SHARED_PASSWORD:-}" ] || { echo "Error: a shared password is required (non-interactive)" >&2; exit 1; }
	echo "  • Deploying Admin Console"
	echo "  • Waiting for installation to complete ✓"
	exit 0
	;;
upload)
	[ $# -ge 6 ] || unexpected "$@"
	[ "$3" = --namespace ] && [ "$5" = --slug ] || unexpected "$@"
	dir=$2
	for f in upstream/userdata/config.yaml base overlays/midstream overlays/downstreams; do
		[ -e "$dir/$f" ] || { echo "Error: failed to upload: $dir/$f not found: not a kots download folder" >&2; exit 1; }
	done
	cp "$dir/upstream/userdata/config.yaml" "$d/config.yaml"
	(cd "$dir" && find . -type f | sed 's|^\\./||' | sort) >"$d/files"
	echo "  • Uploading local application to Admin Console ✓"
	exit 0
	;;
*) unexpected "$@" ;;
esac
# download
if ! { [ $# -eq 8 ] && [ "$3" = --namespace ] && [ "$5" = --current ] && [ "$6" = --dest ] && [ "$8" = --overwrite ]; }; then
	unexpected "$@"
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
    const tool = makeTool("kots", body, { dir: opts.dir, record });
    const read = (f: string): string | undefined => (fs.existsSync(f) ? fs.readFileSync(f, "utf8") : undefined);
    return {
        bin: tool.bin,
        stateDir: tool.stateDir,
        argvFiles: () => tool.callDirs().map((d) => path.join(d, "argv")),
        argvs: () => tool.callDirs().map(tool.argv),
        calls: () =>
            tool.callDirs().map((d) => {
                const files = read(path.join(d, "files"));
                const call: KotsCall = {
                    argv: tool.argv(d),
                    sharedPassword: read(path.join(d, "password")),
                    kubeconfigEnv: read(path.join(d, "kubeconfig-env")),
                    license: read(path.join(d, "license")),
                    uploadedConfig: read(path.join(d, "config.yaml")),
                    uploadedFiles: files?.split("\n").filter((l) => l !== ""),
                };
                // A field the call did not have is left out (not set to undefined), so a whole
                // call compared with deepEqual shows only what that call had.
                for (const k of Object.keys(call) as (keyof KotsCall)[]) if (call[k] === undefined) delete call[k];
                return call;
            }),
        fail: tool.fail,
        hang: tool.hang,
        succeed: tool.succeed,
        reset: tool.reset,
    };
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
    const tool = makeTool("kubectl", body, { dir: opts.dir });
    return {
        bin: tool.bin,
        stateDir: tool.stateDir,
        argvFiles: () => tool.callDirs().map((d) => path.join(d, "argv")),
        calls: () => tool.callDirs().map(tool.argv),
        fail: (message, code) => tool.fail(message, code),
        hang: tool.hang,
        succeed: tool.succeed,
        reset: tool.reset,
    };
}
