/**
 * A TEST DOUBLE of the `kots` CLI (kubectl-kots) for the restore tests. It is a small sh script,
 * not kots: it records each call's argv exactly (NUL-separated), whether KOTS_SHARED_PASSWORD
 * and KUBECONFIG were set, and checks what the real command needs on disk:
 *
 *   install <slug> --namespace <ns> --license-file <F> --no-port-forward --wait-duration <d> [--skip-preflights]
 *       F must be a readable file; its content is kept; KOTS_SHARED_PASSWORD must be set.
 *   upload <dir> --namespace <ns> --slug <slug> [--deploy] [--skip-preflights]
 *       <dir> must have kots download's layout (upstream/userdata/config.yaml, base/,
 *       overlays/midstream/, overlays/downstreams/); the uploaded config.yaml is kept.
 *
 * Any other shape exits 2 ("unexpected arguments"). fail() makes the next calls print a message
 * on stderr and exit non-zero, as kots does on an error.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { makeTempDir } from "../../harness/proc";

export interface KotsCall {
    argv: string[];
    /** KOTS_SHARED_PASSWORD as the double saw it (tests compare it; it is a test value). */
    sharedPassword?: string;
    kubeconfigEnv?: string;
    /** Content of --license-file at the time of the call. */
    license?: string;
    /** upstream/userdata/config.yaml of the uploaded folder. */
    uploadedConfig?: string;
    /** Files (relative) of the uploaded folder. */
    uploadedFiles?: string[];
}

export interface KotsDouble {
    readonly bin: string;
    calls(): KotsCall[];
    /** Every call (or only calls of `command`: install, upload) prints `message` on stderr and exits `code`. */
    fail(message: string, code?: number, command?: string): void;
    succeed(): void;
    reset(): void;
}

function shq(v: string): string {
    return `'${v.replace(/'/g, `'\\''`)}'`;
}

export function makeKotsDouble(): KotsDouble {
    const root = makeTempDir("kots-double");
    const state = path.join(root, "state");
    const calls = path.join(state, "calls");
    fs.mkdirSync(calls, { recursive: true });
    const bin = path.join(root, "bin", "kubectl-kots");
    fs.mkdirSync(path.dirname(bin));
    fs.writeFileSync(
        bin,
        `#!/bin/sh
# TEST DOUBLE of kots (kubectl-kots) for the pulumi-gitguardian-backup restore tests (test/restore/kotsDouble.ts).
set -eu
STATE=${shq(state)}
n=$(( $(cat "$STATE/count" 2>/dev/null || echo 0) + 1 ))
echo "$n" >"$STATE/count"
d="$STATE/calls/$(printf '%04d' "$n")"
mkdir -p "$d"
if [ $# -gt 0 ]; then printf '%s\\0' "$@" >"$d/argv0"; else : >"$d/argv0"; fi
if [ -n "\${KOTS_SHARED_PASSWORD+x}" ]; then printf '%s' "$KOTS_SHARED_PASSWORD" >"$d/password"; fi
if [ -n "\${KUBECONFIG+x}" ]; then printf '%s' "$KUBECONFIG" >"$d/kubeconfig-env"; fi
if [ -f "$STATE/fail-message" ] && { [ ! -f "$STATE/fail-command" ] || [ "$(cat "$STATE/fail-command")" = "\${1:-}" ]; }; then
	cat "$STATE/fail-message" >&2
	exit "$(cat "$STATE/fail-code")"
fi
unexpected() { echo "kots test double: unexpected arguments: $*" >&2; exit 2; }
case "\${1:-}" in
install)
	[ $# -ge 9 ] || unexpected "$@"
	[ "$3" = --namespace ] && [ "$5" = --license-file ] && [ "$7" = --no-port-forward ] && [ "$8" = --wait-duration ] || unexpected "$@"
	[ -r "$6" ] || { echo "Error: failed to get license: open $6: no such file or directory" >&2; exit 1; }
	cp "$6" "$d/license"
	[ -n "\${KOTS_SHARED_PASSWORD:-}" ] || { echo "Error: a shared password is required (non-interactive)" >&2; exit 1; }
	echo "  • Deploying Admin Console"
	echo "  • Waiting for installation to complete ✓"
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
	;;
*) unexpected "$@" ;;
esac
`,
        { mode: 0o755 },
    );
    const read = (f: string): string | undefined => (fs.existsSync(f) ? fs.readFileSync(f, "utf8") : undefined);
    return {
        bin,
        calls: () =>
            fs
                .readdirSync(calls)
                .sort()
                .map((n) => {
                    const d = path.join(calls, n);
                    const raw = fs.readFileSync(path.join(d, "argv0"), "utf8");
                    const files = read(path.join(d, "files"));
                    return {
                        argv: raw === "" ? [] : raw.slice(0, -1).split("\0"),
                        sharedPassword: read(path.join(d, "password")),
                        kubeconfigEnv: read(path.join(d, "kubeconfig-env")),
                        license: read(path.join(d, "license")),
                        uploadedConfig: read(path.join(d, "config.yaml")),
                        uploadedFiles: files === undefined ? undefined : files.split("\n").filter((l) => l !== ""),
                    };
                }),
        fail: (message, code = 1, command) => {
            fs.writeFileSync(path.join(state, "fail-message"), message + "\n");
            fs.writeFileSync(path.join(state, "fail-code"), String(code));
            if (command) fs.writeFileSync(path.join(state, "fail-command"), command);
            else fs.rmSync(path.join(state, "fail-command"), { force: true });
        },
        succeed: () => {
            fs.rmSync(path.join(state, "fail-command"), { force: true });
            fs.rmSync(path.join(state, "fail-message"), { force: true });
            fs.rmSync(path.join(state, "fail-code"), { force: true });
        },
        reset: () => {
            fs.rmSync(calls, { recursive: true, force: true });
            fs.mkdirSync(calls);
            fs.rmSync(path.join(state, "count"), { force: true });
        },
    };
}
