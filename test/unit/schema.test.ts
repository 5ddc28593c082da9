/**
 * The schema every other Pulumi language sees, inferred by @pulumi/pulumi's component analyzer
 * from backup/args.ts and the parts' args: every documented argument and output is present with its type,
 * required-ness and TSDoc description.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { pluginProvider } from "../../plugin/componentHost";

const TOKEN = "gitguardian-backup:index:GitGuardianBackupPolicy";
const t = (name: string) => `#/types/gitguardian-backup:index:${name}`;

describe("component provider schema (gitguardian-backup)", function () {
    this.timeout(120_000);
    let schema: any;
    before(async () => {
        schema = JSON.parse(await pluginProvider().getSchema());
    });

    it("names the package and the component", () => {
        assert.equal(schema.name, "gitguardian-backup");
        assert.equal(schema.resources[TOKEN].isComponent, true);
    });

    it("has every top-level argument with its type, required-ness and description", () => {
        const r = schema.resources[TOKEN];
        const expected: [string, string, boolean][] = [
            ["namespace", "string", true],
            ["schedule", "string", true],
            ["retentionDays", "number", true],
            ["keepLast", "number", false],
            ["storage", t("BackupStorage"), true],
            ["timeZone", "string", false],
            ["postgres", t("PostgresBackup"), false],
            ["redis", t("RedisBackup"), false],
            ["kots", t("KotsBackup"), false],
            ["compression", t("CompressionAlgorithm"), false],
            ["uploaderImage", "string", false],
            ["staging", t("Staging"), false],
            ["activeDeadlineSeconds", "number", false],
            ["backoffLimit", "number", false],
            ["startingDeadlineSeconds", "number", false],
            ["ttlSecondsAfterFinished", "number", false],
            ["successfulJobsHistoryLimit", "number", false],
            ["failedJobsHistoryLimit", "number", false],
            ["resources", t("ResourceRequirements"), false],
            ["uploadPartSizeMiB", "number", false],
            ["nodeSelector", "object", false],
            ["tolerations", "array", false],
            ["serviceAccountAnnotations", "object", false],
            ["encryption", t("BackupEncryption"), false],
            ["drill", t("RestoreDrill"), false],
            ["alerts", t("BackupAlerts"), false],
            ["backupOnChange", t("BackupOnChange"), false],
        ];
        assert.deepEqual(Object.keys(r.inputProperties).sort(), expected.map((e) => e[0]).sort());
        for (const [name, type, required] of expected) {
            const p = r.inputProperties[name];
            assert.equal(p.$ref ?? p.type, type, name);
            assert.equal(r.requiredInputs.includes(name), required, `${name} required`);
            assert.ok(p.description && p.description.length > 10, `${name} has a description`);
        }
        assert.equal(r.inputProperties.schedule.description, "Cron schedule of every backup (5 fields or a macro such as `@daily`). Required: there is no default.");
    });

    it("has every output", () => {
        const r = schema.resources[TOKEN];
        assert.deepEqual(Object.keys(r.properties).sort(), ["bucketName", "cronJobNames", "drillCronJobName", "prefix", "roleArn", "serviceAccountName", "storage"]);
        assert.equal(r.properties.bucketName.type, "string");
        assert.equal(r.properties.storage.$ref, t("BackupStorageLocation"));
        assert.equal(r.properties.cronJobNames.$ref, t("BackupCronJobNames"));
        assert.deepEqual([...r.required].sort(), ["bucketName", "cronJobNames", "drillCronJobName", "prefix", "roleArn", "serviceAccountName", "storage"]);
    });

    it("turns the string choices into enums", () => {
        assert.deepEqual(schema.types["gitguardian-backup:index:PostgresFormat"].enum.map((e: any) => e.value).sort(), ["directory", "sql"]);
        assert.deepEqual(schema.types["gitguardian-backup:index:PostgresRolePasswords"].enum.map((e: any) => e.value).sort(), ["auto", "exclude", "include"]);
        assert.deepEqual(schema.types["gitguardian-backup:index:CompressionAlgorithm"].enum.map((e: any) => e.value).sort(), ["gzip", "none", "zstd"]);
        assert.deepEqual(schema.types["gitguardian-backup:index:ObjectLockMode"].enum.map((e: any) => e.value).sort(), ["COMPLIANCE", "GOVERNANCE"]);
        assert.deepEqual(schema.types["gitguardian-backup:index:DrillPick"].enum.map((e: any) => e.value).sort(), ["latest", "random"]);
    });

    it("describes the nested types, storage options included", () => {
        const storage = schema.types["gitguardian-backup:index:BackupStorage"];
        assert.deepEqual(Object.keys(storage.properties).sort(), ["createBucket", "existingBucket", "prefix"]);
        assert.deepEqual(storage.required ?? [], []);
        const pg = schema.types["gitguardian-backup:index:PostgresBackup"];
        assert.deepEqual([...pg.required].sort(), ["host", "passwordSecret"]);
        assert.equal(pg.properties.format.$ref, t("PostgresFormat"));
        assert.equal(pg.properties.rolePasswords.$ref, t("PostgresRolePasswords"));
        assert.match(pg.properties.rolePasswords.description, /pg_authid/);
        const drill = schema.types["gitguardian-backup:index:RestoreDrill"];
        assert.deepEqual([...drill.required], ["schedule"]);
        assert.equal(drill.properties.pick.$ref, t("DrillPick"));
        assert.deepEqual(Object.keys(drill.properties).sort(), ["deadlineSeconds", "decryption", "parts", "pick", "resources", "schedule", "scratchSize", "windowDays"]);
        assert.equal(drill.properties.decryption.$ref, t("DrillDecryption"));
        const encryption = schema.types["gitguardian-backup:index:BackupEncryption"];
        assert.deepEqual(Object.keys(encryption.properties).sort(), ["agePath", "recipients", "recipientsSecret", "toolImage"]);
        assert.deepEqual([...encryption.required], ["toolImage"]);
        assert.equal(encryption.properties.recipients.items.type, "string");
        assert.equal(encryption.properties.recipientsSecret.$ref, t("SecretKeyRef"));
        const existing = schema.types["gitguardian-backup:index:ExistingBucket"];
        assert.deepEqual([...existing.required], ["name"]);
        assert.match(existing.properties.endpoint.description, /S3-compatible store/);
    });

    it("names no type so that a generated SDK would double its Args or Output suffix (BackupStorageArgsArgs, RestoredComponentOutputOutput)", () => {
        // Go names an output type <Type>Output, every SDK an input type <Type>Args.
        const doubled = Object.keys(schema.types).filter((token) => /(Args|Output)$/.test(token.split(":").pop()!));
        assert.deepEqual(doubled, []);
        // The README's examples in the other languages use the names the generators make of these.
        const readme = fs.readFileSync(path.join(__dirname, "..", "..", "..", "README.md"), "utf8");
        for (const used of readme.matchAll(/ggb\.([A-Z][A-Za-z]*)Args\b/g)) {
            if (used[1] === "GitGuardianBackupPolicy" || used[1] === "GitGuardianRestore") continue;
            assert.ok(schema.types[`gitguardian-backup:index:${used[1]}`], `README's ggb.${used[1]}Args names no schema type ${used[1]}`);
        }
    });

    it("is what the README documents: every input of the schema appears in the README's argument table", () => {
        const readme = fs.readFileSync(path.join(__dirname, "..", "..", "..", "README.md"), "utf8");
        for (const name of Object.keys(schema.resources[TOKEN].inputProperties)) assert.ok(readme.includes(`\`${name}`), `README documents ${name}`);
    });

    describe("GitGuardianRestore, a custom resource of the plugin", () => {
        const R = "gitguardian-backup:index:GitGuardianRestore";
        it("is a custom resource (not a component) with every argument of GitGuardianRestoreArgs, documented", () => {
            const r = schema.resources[R];
            assert.ok(r, "the schema serves GitGuardianRestore");
            assert.equal(r.isComponent, undefined);
            assert.equal(schema.resources["gitguardian-backup:index:GitGuardianRestoreSchema"], undefined, "the analyzer's class is not a resource of the plugin");
            assert.deepEqual(
                Object.keys(r.inputProperties).sort(),
                ["allowSetsApart", "backupId", "decryption", "fetchImage", "jobTimeoutSeconds", "kots", "kubeconfig", "namespace", "postgres", "redis", "setWindowHours", "stagingSize", "storage", "triggers", "verify"],
            );
            assert.deepEqual([...r.requiredInputs].sort(), ["backupId", "namespace", "storage"]);
            for (const [name, p] of Object.entries<any>(r.inputProperties)) assert.ok(p.description?.length > 10, `${name} has a description`);
            assert.equal(r.inputProperties.storage.$ref, t("RestoreStorage"));
            assert.equal(schema.types["gitguardian-backup:index:RestoreStorage"].properties.credentialsSecret.$ref, t("S3CredentialsSecret"));
            assert.match(r.description, /Brings GitGuardian back from the bucket/);
        });
        it("has the TypeScript resource's outputs", () => {
            const r = schema.resources[R];
            const dynamic = ["runId", "status", "restored", "steps", "checksumsVerified", "completedAt"];
            assert.deepEqual(Object.keys(r.properties).sort(), [...dynamic].sort());
            assert.equal(r.properties.restored.additionalProperties.$ref, t("RestoredComponent"));
            assert.equal(r.properties.steps.items.$ref, t("RestoreStepReport"));
            assert.deepEqual(Object.keys(schema.types["gitguardian-backup:index:RestoreStepReport"].properties).sort(), ["bytes", "detail", "durationMs", "name", "status"]);
        });
        it("marks every secret argument secret, and backupId and triggers replace-on-change", () => {
            const r = schema.resources[R];
            assert.equal(r.inputProperties.kubeconfig.secret, true);
            assert.equal(schema.types["gitguardian-backup:index:KotsInstall"].properties.license.secret, true);
            assert.equal(schema.types["gitguardian-backup:index:KotsInstall"].properties.sharedPassword.secret, true);
            assert.equal(schema.types["gitguardian-backup:index:RestoreDecryption"].properties.identity.secret, true);
            const secrets = (o: any): string[] => Object.entries<any>(o ?? {}).filter(([, p]) => p.secret).map(([n]) => n);
            assert.deepEqual(secrets(r.inputProperties), ["kubeconfig"]);
            assert.equal(r.inputProperties.backupId.replaceOnChanges, true);
            assert.equal(r.inputProperties.triggers.replaceOnChanges, true);
            assert.deepEqual(Object.keys(r.inputProperties).filter((n) => r.inputProperties[n].replaceOnChanges).sort(), ["backupId", "triggers"]);
        });
    });
});
