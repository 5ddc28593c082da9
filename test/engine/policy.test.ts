/**
 * The policy pack with the real engine: `pulumi preview --policy-pack` runs the pack as the
 * CLI's analyzer (an executable that starts @pulumi/pulumi's run-policy-pack on policy/, since
 * the Node.js language host is not served here) and blocks the bad stacks with the policy's
 * message; `--policy-pack-config` thresholds change the verdict.
 */
import * as kubernetes from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { GitGuardianBackupPolicyArgs } from "../../backup/args";
import { GitGuardianBackupPolicy } from "../../backup/backupPolicy";
import { KubeCluster, startKube } from "../../harness/kube";
import { Engine, startEngine } from "../../harness/pulumi";
import { minioArgs } from "../unit/fixtures";

const PACK_DIR = path.resolve(__dirname, "..", "..", "..", "policy");

describe("the policy pack through pulumi preview --policy-pack", function () {
    this.timeout(600_000);
    let kube: KubeCluster;
    let engine: Engine;
    let pack: string;

    before(async () => {
        kube = await startKube();
        engine = startEngine();
        pack = engine.policyPackExecutable(PACK_DIR);
    });
    after(async () => {
        engine?.stop();
        await kube?.stop();
    });

    const preview = async (stackName: string, program: () => void, config?: object) => {
        const stack = await engine.stack("gitguardian-policy", stackName, async () => program());
        await stack.setConfig("kubernetes:kubeconfig", { value: kube.kubeconfig, secret: true });
        const policyPackConfigs: string[] = [];
        if (config) {
            const file = path.join(engine.root, `${stackName}-policy-config.json`);
            fs.writeFileSync(file, JSON.stringify(config));
            policyPackConfigs.push(file);
        }
        try {
            const r = await stack.preview({ policyPacks: [pack], policyPackConfigs, onOutput: () => undefined });
            return { ok: true, output: r.stdout };
        } catch (e) {
            return { ok: false, output: String((e as Error).message) };
        } finally {
            await stack.workspace.removeStack(stackName).catch(() => undefined);
        }
    };
    const policy = (args: GitGuardianBackupPolicyArgs) => () => {
        new GitGuardianBackupPolicy("gitguardian", args);
    };

    it("the good stack passes", async () => {
        const r = await preview("good", policy(minioArgs()));
        assert.ok(r.ok, r.output);
    });

    it("a component whose redis backup is disabled fails schedule-required with its message", async () => {
        const r = await preview("no-redis", policy(minioArgs({ redis: { host: "redis-master", enabled: false } })));
        assert.equal(r.ok, false);
        assert.match(r.output, /gitguardian-backup-schedule-required/);
        assert.match(r.output, /no scheduled backup of redis/);
    });

    it("a suspended backup CronJob fails", async () => {
        const r = await preview("suspended", () => {
            pulumi.runtime.registerResourceTransform(async (a) =>
                a.type === "kubernetes:batch/v1:CronJob" && a.name.endsWith("postgres") ? { props: { ...a.props, spec: { ...a.props.spec, suspend: true } }, opts: a.opts } : undefined,
            );
            new GitGuardianBackupPolicy("gitguardian", minioArgs());
        });
        assert.equal(r.ok, false);
        assert.match(r.output, /gitguardian-backup-schedule-required/);
        assert.match(r.output, /suspend/);
    });

    it("a hand-written weekly pg_dumpall CronJob fails max-interval; maxIntervalHours 168 lets it pass", async () => {
        const handWritten = () => {
            new GitGuardianBackupPolicy("gitguardian", minioArgs({ postgres: undefined }));
            new kubernetes.batch.v1.CronJob("pg-backup", {
                metadata: { name: "pg-backup", namespace: "gitguardian" },
                spec: {
                    schedule: "0 3 * * 0",
                    concurrencyPolicy: "Forbid",
                    jobTemplate: {
                        spec: {
                            activeDeadlineSeconds: 3600,
                            backoffLimit: 1,
                            template: {
                                spec: {
                                    restartPolicy: "Never",
                                    containers: [{ name: "dump", image: "postgres:16-alpine", command: ["sh", "-c", "pg_dumpall > /backup/all.sql"], env: [{ name: "PGPASSWORD", valueFrom: { secretKeyRef: { name: "postgresql", key: "postgres-password" } } }] }],
                                },
                            },
                        },
                    },
                },
            });
        };
        const weekly = await preview("weekly", handWritten);
        assert.equal(weekly.ok, false);
        assert.match(weekly.output, /gitguardian-backup-max-interval/);
        assert.match(weekly.output, /up to 168 hours between two runs, more than maxIntervalHours 24/);
        const relaxed = await preview("weekly-relaxed", handWritten, { "gitguardian-backup-max-interval": { maxIntervalHours: 168 } });
        assert.ok(relaxed.ok, relaxed.output);
    });
});
