/**
 * Encryption's pure parts: the arguments refused at construction (a private key where a public
 * one is asked for, never echoed), the pods as declared (age copied by an init container, the
 * recipients in the upload container only, the identity in the fetch container only), the plan
 * step's check of the restore's identity against the sets' recipients, and the provider's
 * decryption of an artifact made by the real age CLI.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { Encrypter, generateIdentity, identityToRecipient } from "age-encryption";
import { resolvePolicy } from "../../backup/validate";
import { cronJobSpec } from "../../backup/jobSpec";
import { drillCronJobSpec } from "../../drill/drillJob";
import { decryptedInProvider, decryptionProblems } from "../../encryption/age";
import { Artifact, Manifest } from "../../core/manifest";
import { makeTempDir, removeTempDir } from "../../harness/proc";
import { ageDir } from "../../harness/tools";
import { postgresRestoreJob } from "../../sources/postgres/restore";
import { RestoreInputs, resolveRestore } from "../../restore/validate";
import type { ResolvedSet } from "../../restore/resolve";
import type { StepContext } from "../../restore/step";
import { minioArgs } from "./fixtures";

const R1 = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";
const TOOL = { toolImage: "registry.example/age:1.3.2", recipients: [R1] };

const restoreInputs = (o: Partial<RestoreInputs> = {}): RestoreInputs => ({
    restoreName: "restore-enc",
    namespace: "gitguardian",
    storage: { bucketName: "gitguardian-backups", credentialsSecret: { name: "backup-s3" } },
    backupId: "latest",
    postgres: { host: "postgresql", user: "postgres", passwordSecret: { name: "postgresql", key: "postgres-password" } },
    ...o,
});

/* eslint-disable @typescript-eslint/no-explicit-any -- the specs are plain objects here: nothing in them is an Output */
describe("encryption", () => {
    describe("arguments, refused at construction", () => {
        const rejects = (encryption: unknown, message: RegExp) => assert.throws(() => resolvePolicy("gg", minioArgs({ encryption } as never)), message);
        it("exactly one of recipients and recipientsSecret", () => {
            rejects({ toolImage: TOOL.toolImage }, /set exactly one of encryption\.recipients and encryption\.recipientsSecret/);
            rejects({ ...TOOL, recipientsSecret: { name: "r", key: "k" } }, /set exactly one of encryption\.recipients and encryption\.recipientsSecret/);
        });
        it("a private key given as a recipient, named as such and never echoed", async () => {
            const secret = await generateIdentity();
            assert.throws(
                () => resolvePolicy("gg", minioArgs({ encryption: { ...TOOL, recipients: [secret] } })),
                (e: Error) => /encryption\.recipients\[0\] = "AGE-SECRET-KEY-1…" is invalid; this is a private key: give its recipient \(age-keygen -y KEYFILE prints it\)/.test(e.message) && !e.message.includes(secret),
            );
        });
        it("a recipient that is not one, and one twice", () => {
            rejects({ ...TOOL, recipients: ["ssh-ed25519 AAAA"] }, /encryption\.recipients\[0\] = "ssh-ed25519 AAAA" is invalid; allowed: an age X25519 recipient/);
            rejects({ ...TOOL, recipients: [R1, R1] }, /allowed: each recipient once/);
        });
        it("no tool image: there is no default, as no stock job image has age", () => {
            rejects({ recipients: [R1] }, /encryption\.toolImage = undefined is invalid; required: an image with cp and a statically linked age/);
        });
        it("a drill of encrypted sets needs an identity, and one of plain sets is given none", () => {
            const drill = { schedule: "0 5 * * *" };
            assert.throws(() => resolvePolicy("gg", minioArgs({ encryption: TOOL, drill })), /drill\.decryption = undefined is invalid; required with encryption/);
            assert.throws(() => resolvePolicy("gg", minioArgs({ drill: { ...drill, decryption: { identitySecret: { name: "k", key: "identity" } } } })), /drill\.decryption .* allowed: only with encryption/);
        });
        it("a restore's identity value must be an age identity, and is never echoed", () => {
            assert.throws(() => resolveRestore(restoreInputs({ decryption: {}, ageIdentity: "hunter2-not-a-key" })), (e: Error) => /decryption\.identity = "\[secret\]" is invalid/.test(e.message) && !e.message.includes("hunter2"));
            assert.throws(() => resolveRestore(restoreInputs({ decryption: {} })), /set decryption\.identitySecret or decryption\.identity/);
        });
    });

    describe("the pods as declared", () => {
        const spec = resolvePolicy("gitguardian", minioArgs({ encryption: TOOL, drill: { schedule: "0 5 * * *", decryption: { identitySecret: { name: "drill-age", key: "identity" } } } }));
        const pg = spec.components.find((c) => c.component === "postgres")!;
        const pod: any = cronJobSpec(spec, pg, "bucket").spec.jobTemplate.spec.template.spec;
        type Plain = { name: string; env?: { name: string; value?: unknown }[]; volumeMounts: { name: string }[] };
        const env = (c: { env?: { name: string; value?: unknown }[] }) => Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));
        it("a backup: age copied from the tool image; the recipients and age in the upload container alone", () => {
            assert.deepEqual(pod.initContainers.map((c: Plain & { image: string; command: string[] }) => [c.name, c.image, c.command]), [["encryption-tool", TOOL.toolImage, ["cp", "/usr/local/bin/age", "/ggb-tools/age"]]]);
            const upload = pod.containers.find((c: Plain) => c.name === "upload");
            assert.deepEqual([env(upload).GGB_ENCRYPTION_RECIPIENTS, env(upload).GGB_AGE], [R1, "/ggb-tools/age"]);
            assert.deepEqual(upload.volumeMounts.find((m: { name: string }) => m.name === "ggb-tools"), { name: "ggb-tools", mountPath: "/ggb-tools", readOnly: true });
            const dump = pod.containers.find((c: Plain) => c.name === "dump-postgres");
            assert.equal(env(dump).GGB_ENCRYPTION_RECIPIENTS, undefined);
            assert.ok(!dump.volumeMounts.some((m: { name: string }) => m.name === "ggb-tools"));
            assert.ok(!JSON.stringify(pod).includes("AGE-SECRET-KEY"));
        });
        it("recipients from a Secret reach the upload step through secretKeyRef", () => {
            const s = resolvePolicy("gitguardian", minioArgs({ encryption: { toolImage: TOOL.toolImage, recipientsSecret: { name: "backup-recipients", key: "recipients" } } }));
            const upload = (cronJobSpec(s, s.components[0], "bucket").spec.jobTemplate.spec.template.spec as any).containers.find((c: Plain) => c.name === "upload");
            assert.deepEqual(upload.env.find((e: { name: string }) => e.name === "GGB_ENCRYPTION_RECIPIENTS"), { name: "GGB_ENCRYPTION_RECIPIENTS", valueFrom: { secretKeyRef: { name: "backup-recipients", key: "recipients" } } });
        });
        it("a drill: the identity's Secret mounted in its fetch container alone", () => {
            const drill = drillCronJobSpec(spec, spec.drill!, "bucket").spec.jobTemplate.spec.template.spec as any;
            assert.deepEqual(drill.initContainers.map((c: Plain) => c.name).slice(0, 2), ["encryption-tool", "fetch"]);
            const holders = [...drill.initContainers, ...drill.containers].filter((c: Plain) => (c.volumeMounts ?? []).some((m: { name: string }) => m.name === "ggb-identity")).map((c: Plain) => c.name);
            assert.deepEqual(holders, ["fetch"]);
            assert.deepEqual(drill.volumes.find((v: { name: string }) => v.name === "ggb-identity"), { name: "ggb-identity", secret: { secretName: "drill-age", items: [{ key: "identity", path: "identity" }], defaultMode: 0o440 } });
        });
        it("a restore Job: the identity and age in its fetch container, not in the one that applies", () => {
            const s = resolveRestore(restoreInputs({ decryption: { identitySecret: { name: "restore-age", key: "key.txt" }, toolImage: TOOL.toolImage } }));
            const job = postgresRestoreJob(s, "20261127T020000Z", "run-1").spec!.template.spec!;
            assert.deepEqual(job.initContainers!.map((c) => c.name), ["encryption-tool", "fetch"]);
            const fetch = job.initContainers![1];
            assert.deepEqual(fetch.env!.filter((e) => e.name.startsWith("GGB_AGE")).map((e) => [e.name, e.value]), [["GGB_AGE", "/ggb-tools/age"], ["GGB_AGE_IDENTITY_FILE", "/ggb-identity/identity"]]);
            assert.ok(!(job.containers[0].volumeMounts ?? []).some((m) => m.name === "ggb-identity"), "the apply container does not mount the key");
        });
    });

    describe("the plan step's check of the identity, before anything changes", () => {
        let alice: string, aliceTo: string, mallory: string;
        before(async () => {
            [alice, mallory] = await Promise.all([generateIdentity(), generateIdentity()]);
            aliceTo = await identityToRecipient(alice);
        });
        const set = (part: string, recipients: string[]): ResolvedSet =>
            ({
                backupId: "20261127T020000Z",
                bytes: 10,
                manifest: { artifacts: [{ name: "a", key: "k", size: 10, sha256: "a".repeat(64), compression: "gzip", encryption: recipients.length ? "age" : "none", recipients }] } as unknown as Manifest,
            }) as ResolvedSet;
        const ctx = (o: Partial<RestoreInputs>, secrets: Record<string, string> = {}) =>
            ({
                spec: resolveRestore(restoreInputs(o)),
                ageIdentity: o.ageIdentity,
                executor: { readSecretKey: async (_ns: string, name: string, key: string) => secrets[`${name}/${key}`] },
            }) as unknown as StepContext;
        it("passes an identity that is one of the recipients, from a Secret written by age-keygen", async () => {
            const c = ctx({ decryption: { identitySecret: { name: "age", key: "key.txt" }, toolImage: TOOL.toolImage } }, { "age/key.txt": `# created: 2026-12-04\n# public key: ${aliceTo}\n${alice}\n` });
            assert.deepEqual(await decryptionProblems(c, new Map([["postgres", set("postgres", [R1, aliceTo])]])), []);
        });
        it("names the recipients a set needs: no decryption given, a key for someone else", async () => {
            assert.deepEqual(await decryptionProblems(ctx({}), new Map([["postgres", set("postgres", [R1])]])), [`postgres set 20261127T020000Z is encrypted to ${R1}: give decryption (identitySecret, or identity) with the age identity of one of them; nothing was changed`]);
            const other = await decryptionProblems(ctx({ decryption: { toolImage: TOOL.toolImage, identitySecret: { name: "age", key: "k" } } }, { "age/k": mallory }), new Map([["postgres", set("postgres", [aliceTo])]]));
            assert.equal(other.length, 1);
            assert.match(other[0], new RegExp(`postgres set 20261127T020000Z is encrypted to ${aliceTo}; the identity in Secret gitguardian/age key k is for age1[a-z0-9]+, not one of them`));
            assert.ok(!other[0].includes(mallory));
        });
        it("a Job-restored part needs the key as a Secret and a tool image; a set that is not encrypted needs nothing", async () => {
            const problems = await decryptionProblems(ctx({ decryption: {}, ageIdentity: alice }), new Map([["postgres", set("postgres", [aliceTo])]]));
            assert.deepEqual(problems.map((p) => p.replace(/ set \S+/, "")), [
                "postgres is encrypted and restored by a Job, whose fetch step reads the key from decryption.identitySecret (decryption.identity reaches the provider only)",
                "postgres is encrypted and restored by a Job: set decryption.toolImage to an image with cp and a statically linked age",
            ]);
            assert.deepEqual(await decryptionProblems(ctx({}), new Map([["postgres", set("postgres", [])]])), []);
        });
    });

    describe("the provider's decryption (KOTS artifacts)", () => {
        let dir: string;
        before(() => {
            dir = makeTempDir("age-unit");
        });
        after(() => removeTempDir(dir));
        it("decrypts what the age CLI encrypted, and refuses a changed byte and another key", async function () {
            this.timeout(120_000);
            const bin = await ageDir();
            const keyFile = path.join(dir, "key.txt");
            execFileSync(path.join(bin, "age-keygen"), ["-o", keyFile], { stdio: "ignore" });
            const identity = fs.readFileSync(keyFile, "utf8").match(/AGE-SECRET-KEY-1\S+/)![0];
            const recipient = execFileSync(path.join(bin, "age-keygen"), ["-y", keyFile]).toString().trim();
            const plain = Buffer.from("kotsadm-encryption: a key Secret\n".repeat(5000));
            const sealed = execFileSync(path.join(bin, "age"), ["-r", recipient], { input: plain });
            const artifact = { name: "kots-secrets.tar.gz", encryption: "age", recipients: [recipient] } as Artifact;
            const c = (id: string) => ({ ageIdentity: id, spec: {} }) as unknown as StepContext;
            assert.deepEqual(await decryptedInProvider(c(identity), "kots", artifact, sealed), plain);
            const changed = Buffer.from(sealed);
            changed[changed.length - 100] ^= 1;
            await assert.rejects(decryptedInProvider(c(identity), "kots", artifact, changed), /artifact kots-secrets\.tar\.gz of the kots set does not decrypt \(.*\): it is encrypted to age1/);
            await assert.rejects(decryptedInProvider(c(await generateIdentity()), "kots", artifact, sealed), /does not decrypt \(no identity matched any of the file's recipients\)/);
            // And the other way: what typage encrypts, the CLI the jobs run decrypts.
            const e = new Encrypter();
            e.addRecipient(recipient);
            const back = execFileSync(path.join(bin, "age"), ["-d", "-i", keyFile], { input: Buffer.from(await e.encrypt(plain)) });
            assert.deepEqual(back, plain);
        });
    });
});
