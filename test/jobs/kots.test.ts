/**
 * dump-kots.sh against TEST DOUBLES of kots and kubectl (harness/fakeKots.ts), then
 * upload.sh to a real MinIO: the exact argv of every call, the artifacts and their layout.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { Component } from "../../core/contract";
import { manifestKey } from "../../core/manifest";
import { FAKE_KOTS_VERSION, FakeKots, FakeTool, KOTS_LAYOUT, makeFakeKots, makeFakeKubectl } from "../../harness/fakeKots";
import { POSIX_SHELLS, explain } from "../../harness/jobRunner";
import { MinioServer, startMinio } from "../../harness/minio";
import { makeTempDir } from "../../harness/proc";
import { assertDumpFailed, assertFailed, assertNoManifest, backup, backupOk, uniquePrefix } from "./support";

const NAMESPACE = "gitguardian-ns";
const SLUG = "gitguardian";
const SECRETS = { "kotsadm-encryption": { encryptionKey: "not-a-real-key ✓" }, "gitguardian-secrets.v2": { DJANGO_SECRET_KEY: "x'y\"z", FERNET: "f" } };

describe("kots: dump-kots.sh with kots and kubectl test doubles", function () {
    this.timeout(300_000);
    let minio: MinioServer;
    let kots: FakeKots;
    let kubectl: FakeTool;

    before(async function () {
        this.timeout(900_000); // on a fresh machine, startMinio() first builds MinIO (scripts/tools/build.sh, minutes)
        minio = await startMinio();
        kots = makeFakeKots({ appSlug: SLUG, namespace: NAMESPACE });
        kubectl = makeFakeKubectl({ namespace: NAMESPACE, secrets: SECRETS });
    });
    after(async () => {
        await minio?.destroy();
    });
    beforeEach(() => {
        kots.reset();
        kots.succeed();
        kubectl.reset();
        kubectl.succeed();
    });

    const env = (over: Record<string, string> = {}): Record<string, string> => ({
        GGB_KOTS_NAMESPACE: NAMESPACE,
        GGB_KOTS_APP_SLUG: SLUG,
        GGB_KOTS_SECRETS: "kotsadm-encryption,gitguardian-secrets.v2",
        GGB_KOTS: kots.bin,
        GGB_KUBECTL: kubectl.bin,
        ...over,
    });

    for (const [i, shell] of POSIX_SHELLS.entries()) {
        const compression = i === 0 ? "gzip" : "zstd";
        it(`(kots test double) ${shell}, ${compression}: exact argv, app and Secrets archived with the kots layout, uploaded with a manifest`, async function () {
            const prefix = uniquePrefix(`kots-${shell}`);
            const run = await backupOk({ component: Component.Kots, minio, prefix, dumpShell: shell, uploadShell: i === 0 ? "bash" : "busybox", dumpEnv: { ...env(), GGB_COMPRESSION: compression } });

            const work = path.join(run.staging, ".kots");
            assert.deepEqual(kots.argvs(), [["version"], ["download", SLUG, "--namespace", NAMESPACE, "--current", "--dest", path.join(work, "app"), "--overwrite"]]);
            // The argv file: one argument per line.
            assert.deepEqual(fs.readFileSync(kots.argvFiles()[1], "utf8").split("\n").slice(0, -1), kots.argvs()[1]);
            assert.deepEqual(kubectl.calls(), [
                ["get", "secret", "kotsadm-encryption", "--namespace", NAMESPACE, "-o", "yaml"],
                ["get", "secret", "gitguardian-secrets.v2", "--namespace", NAMESPACE, "-o", "yaml"],
            ]);
            assert.ok(!fs.existsSync(work), "the work folder is removed");

            const ext = compression === "gzip" ? ".gz" : ".zst";
            const m = run.manifest;
            assert.equal(m.format, "kots");
            assert.equal(m.tool.name, "kots");
            assert.equal(m.tool.version, `Replicated KOTS ${FAKE_KOTS_VERSION}`);
            assert.deepEqual(m.artifacts.map((a) => a.name).sort(), [`kots-app.tar${ext}`, `kots-secrets.tar${ext}`]);

            // In the bucket: the artifacts and the manifest; each artifact is byte for byte what
            // the manifest describes, and unpacks to the kots layout.
            assert.deepEqual(await minio.list(`${prefix}/`), [...m.artifacts.map((a) => a.key), manifestKey(prefix, Component.Kots, run.backupId)].sort());
            const out = makeTempDir("kots-out");
            for (const a of m.artifacts) {
                const file = path.join(out, a.name);
                const data = await minio.get(a.key);
                assert.equal(data.length, a.size);
                assert.equal(createHash("sha256").update(data).digest("hex"), a.sha256);
                fs.writeFileSync(file, data);
                const dir = path.join(out, a.name.startsWith("kots-app") ? "app" : "secrets");
                fs.mkdirSync(dir);
                const tar = path.join(out, a.name.replace(/\.(gz|zst)$/, ""));
                execFileSync(compression === "gzip" ? "gzip" : "zstd", ["-d", "-q", file]);
                execFileSync("tar", ["-xf", tar, "-C", dir]);
            }
            for (const f of KOTS_LAYOUT) assert.ok(fs.statSync(path.join(out, "app", SLUG, f)).isFile(), `app/${SLUG}/${f}`);
            const config = fs.readFileSync(path.join(out, "app", SLUG, "upstream/userdata/config.yaml"), "utf8");
            assert.match(config, /^kind: ConfigValues$/m);
            assert.match(fs.readFileSync(path.join(out, "app", SLUG, "upstream/userdata/installation.yaml"), "utf8"), /^kind: Installation$/m);
            assert.deepEqual(fs.readdirSync(path.join(out, "secrets")).sort(), ["gitguardian-secrets.v2.yaml", "kotsadm-encryption.yaml"]);
            const secret = fs.readFileSync(path.join(out, "secrets", "kotsadm-encryption.yaml"), "utf8");
            assert.match(secret, /^kind: Secret$/m);
            assert.match(secret, new RegExp(`encryptionKey: ${Buffer.from(SECRETS["kotsadm-encryption"].encryptionKey).toString("base64")}`));
        });

        it(`(kots test double) ${shell}: kots download exits non-zero: one-line reason, nothing uploaded, no manifest`, async function () {
            const prefix = uniquePrefix(`kots-fail-${shell}`);
            kots.fail("Error: failed to get kotsadm pod: connection refused\ndetails on a second line", 3);
            const run = await backup({ component: Component.Kots, minio, prefix, dumpShell: shell, uploadShell: "bash", dumpEnv: { ...env(), GGB_COMPRESSION: "gzip" } });
            assertDumpFailed(run, "dump-kots", /^dump-kots: kots download failed: Error: failed to get kotsadm pod: connection refused\s*$/);
            assert.deepEqual(await minio.list(prefix + "/"), [], "nothing uploaded");
            await assertNoManifest(minio, prefix);
        });

        it(`(kots test double) ${shell}: kots download that never returns is stopped after GGB_CALL_TIMEOUT with a reason; nothing committed`, async function () {
            const prefix = uniquePrefix(`kots-hang-${shell}`);
            kots.hang("download");
            const run = await backup({ component: Component.Kots, minio, prefix, dumpShell: shell, uploadShell: "bash", dumpEnv: { ...env({ GGB_CALL_TIMEOUT: "2" }), GGB_COMPRESSION: "gzip" } });
            assertDumpFailed(run, "dump-kots", /^dump-kots: kots download did not finish within 2 s \(GGB_CALL_TIMEOUT\)$/);
            assert.ok(run.dump.durationMs < 60_000, explain(run.dump));
            assert.equal(fs.existsSync(path.join(run.staging, ".kots")), false, "the work folder is removed");
            await assertNoManifest(minio, prefix);
        });

        it(`(kubectl test double) ${shell}: a kubectl get secret that never returns is stopped after GGB_CALL_TIMEOUT with a reason; the exported Secrets are removed`, async function () {
            const prefix = uniquePrefix(`kots-kubectl-hang-${shell}`);
            kubectl.hang();
            const run = await backup({ component: Component.Kots, minio, prefix, dumpShell: shell, uploadShell: "bash", dumpEnv: { ...env({ GGB_CALL_TIMEOUT: "2" }), GGB_COMPRESSION: "gzip" } });
            assertDumpFailed(run, "dump-kots", /^dump-kots: kubectl get secret 'kotsadm-encryption' did not finish within 2 s \(GGB_CALL_TIMEOUT\)$/);
            assert.ok(run.dump.durationMs < 60_000, explain(run.dump));
            assert.equal(fs.existsSync(path.join(run.staging, ".kots")), false, "the work folder is removed");
            await assertNoManifest(minio, prefix);
        });

        it(`(kots test double) ${shell}: a missing Secret fails with kubectl's reason; a non-Kubernetes Secret name is refused before kubectl runs`, async function () {
            const run = await backup({ component: Component.Kots, minio, prefix: uniquePrefix("kots-secret"), dumpShell: shell, uploadShell: "bash", dumpEnv: { ...env({ GGB_KOTS_SECRETS: "kotsadm-encryption,absent" }), GGB_COMPRESSION: "gzip" } });
            assertFailed(run.dump, "dump-kots", /cannot export Secret 'absent': Error from server \(NotFound\): secrets "absent" not found/);
            // kotsadm-encryption was exported before the failure: it must not stay on the staging volume.
            assert.equal(fs.existsSync(path.join(run.staging, ".kots")), false, "the exported Secrets are removed when the step fails");
            kubectl.reset();
            const bad = await backup({ component: Component.Kots, minio, prefix: uniquePrefix("kots-secret"), dumpShell: shell, uploadShell: "bash", dumpEnv: { ...env({ GGB_KOTS_SECRETS: "kotsadm-encryption,Bad_Name" }), GGB_COMPRESSION: "gzip" } });
            assertFailed(bad.dump, "dump-kots", /Secret name 'Bad_Name' is not a Kubernetes name/);
            assert.deepEqual(kubectl.calls(), [["get", "secret", "kotsadm-encryption", "--namespace", NAMESPACE, "-o", "yaml"]], explain(bad.dump));
        });
    }
});
