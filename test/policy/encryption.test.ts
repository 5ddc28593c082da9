/** gitguardian-backup-encryption (advisory) and gitguardian-backup-no-private-key (mandatory), on real programs under the pack. */
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import * as kubernetes from "@pulumi/kubernetes";
import { generateIdentity } from "age-encryption";
import { ENCRYPTION_DECLARED } from "../../policy/encryptionDeclared";
import { NO_PRIVATE_KEY } from "../../policy/noPrivateKey";
import { policies } from "../../policy/policies";
import { evaluate, runProgram } from "./harness";

const enforcement = (name: string) => policies.find((p) => p.name === name)?.enforcementLevel;
import { component, editCronJob, ENCRYPTED, goodArgs, NS, rawBackups } from "./programs";

describe("gitguardian-backup-encryption and gitguardian-backup-no-private-key", () => {
    let privateKey: string;
    before(async () => {
        privateKey = await generateIdentity();
    });

    it("backups in clear: one advisory finding per backup CronJob, saying what to declare", async () => {
        const e = await evaluate(await runProgram(component(goodArgs("existingBucket"))));
        assert.equal(e.of(ENCRYPTION_DECLARED).length, 3);
        assert.match(e.of(ENCRYPTION_DECLARED)[0], /writes its sets in clear: .* Declare `encryption: \{ recipients: \["age1…"\], toolImage: .* \}`/);
        assert.equal(enforcement(ENCRYPTION_DECLARED), "advisory");
    });

    it("the component's encryption satisfies it, recipients as values or from a Secret; hand-written CronJobs in clear do not", async () => {
        assert.deepEqual((await evaluate(await runProgram(component(goodArgs("existingBucket", ENCRYPTED))))).of(ENCRYPTION_DECLARED), []);
        const fromSecret = goodArgs("existingBucket", { encryption: { recipientsSecret: { name: "backup-recipients", key: "recipients" }, toolImage: "registry.example/age:1.3.2" } });
        assert.deepEqual((await evaluate(await runProgram(component(fromSecret)))).of(ENCRYPTION_DECLARED), []);
        assert.equal((await evaluate(await runProgram(() => rawBackups()))).of(ENCRYPTION_DECLARED).length, 3);
    });

    it("refuses a private key anywhere in a backup program: a CronJob's env, a ConfigMap; never echoing it", async () => {
        const inEnv = component(goodArgs("existingBucket", ENCRYPTED), {
            transformations: [editCronJob("postgres", (spec) => ({ ...spec, jobTemplate: { ...spec.jobTemplate, spec: { ...spec.jobTemplate.spec, template: { ...spec.jobTemplate.spec.template, spec: { ...spec.jobTemplate.spec.template.spec, containers: spec.jobTemplate.spec.template.spec.containers.map((c: { env: object[] }) => ({ ...c, env: [...c.env, { name: "AGE_KEY", value: privateKey }] })) } } } } }))],
        });
        const e = await evaluate(await runProgram(inEnv));
        assert.equal(e.of(NO_PRIVATE_KEY).length, 1);
        assert.match(e.of(NO_PRIVATE_KEY)[0], /kubernetes:batch\/v1:CronJob .* holds an age private key \(AGE-SECRET-KEY-1…\) in its inputs, in a program that backs GitGuardian up/);
        assert.equal(enforcement(NO_PRIVATE_KEY), "mandatory");
        assert.ok(!e.of(NO_PRIVATE_KEY)[0].includes(privateKey));
        const inConfigMap = () => {
            component(goodArgs("existingBucket", ENCRYPTED))();
            new kubernetes.core.v1.ConfigMap("keys", { metadata: { namespace: NS }, data: { "key.txt": `# restore key\n${privateKey}\n` } });
            return pulumi.output(undefined);
        };
        assert.match((await evaluate(await runProgram(inConfigMap))).of(NO_PRIVATE_KEY).join("\n"), /kubernetes:core\/v1:ConfigMap keys holds an age private key/);
    });

    it("a drill's identity in a Kubernetes Secret's data is where it belongs; a stack without backups is not its business", async () => {
        const withSecret = () => {
            component(goodArgs("existingBucket", ENCRYPTED))();
            new kubernetes.core.v1.Secret("drill-age", { metadata: { namespace: NS }, stringData: { identity: privateKey } });
            return pulumi.output(undefined);
        };
        assert.deepEqual((await evaluate(await runProgram(withSecret))).of(NO_PRIVATE_KEY), []);
        const noBackup = () => {
            new kubernetes.core.v1.ConfigMap("keys", { metadata: { namespace: NS }, data: { k: privateKey } });
        };
        assert.deepEqual((await evaluate(await runProgram(noBackup))).of(NO_PRIVATE_KEY), []);
    });
});
