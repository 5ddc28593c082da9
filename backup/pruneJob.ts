/**
 * The retention job of a created bucket (jobs/prune.sh): a CronJob that deletes each part's sets
 * older than retentionDays, except its newest keepLast complete ones. A lifecycle rule cannot do
 * this (it expires by age, and would delete the last good set once backups fail for longer than
 * the retention), so the job does it, under an identity of its own that may list the prefix and
 * delete under it (backup/credentials.ts prunePolicyDocument), with no Kubernetes rights.
 * It carries the backup CronJobs' labels, so a restore suspends it while it reads a set.
 */
import * as pulumi from "@pulumi/pulumi";
import { MOUNT, PRUNE_ENV, SCRIPT } from "../core/contract";
import { containerSecurity, EnvVar, envValue, LABELS, PRUNE_COMPONENT, scriptCommand, TMP_VOLUME, UPLOADER_UID } from "../core/pod";
import { bucketLocationEnv, labels, s3CredentialEnv, scheduledJob } from "./jobSpec";
import { PolicySpec } from "./validate";

/** The policy's labels (a restore suspends the CronJobs that carry them), its own component. */
function pruneLabels(spec: PolicySpec): { [k: string]: string } {
    return { ...labels(spec), [LABELS.component]: PRUNE_COMPONENT };
}

/** The env of the retention job: where the sets are, the rule, and its own key (none with IRSA). */
export function pruneEnv(spec: PolicySpec, bucketName: pulumi.Input<string>): EnvVar<pulumi.Input<string>>[] {
    return [
        ...bucketLocationEnv(spec, bucketName),
        envValue(PRUNE_ENV.retentionDays.name, String(spec.retentionDays)),
        envValue(PRUNE_ENV.keepLast.name, String(spec.keepLast)),
        // Every part the policy backs up; a part disabled later keeps its sets until it is listed again.
        envValue(PRUNE_ENV.parts.name, spec.components.map((c) => c.component).join(",")),
        // Its own generated key (createIamUser), or the user's Secret (which then does everything).
        ...s3CredentialEnv(spec, spec.names.pruneCredentialsSecret),
        envValue("HOME", "/tmp"),
    ];
}

/** The retention CronJob (the object passed to k8s.batch.v1.CronJob), on the policy's schedule. */
export function pruneCronJobSpec(spec: PolicySpec, bucketName: pulumi.Input<string>) {
    return scheduledJob(spec, spec.names.pruneCronJob, pruneLabels(spec), spec.schedule, {
        serviceAccountName: spec.names.pruneServiceAccount,
        containers: [
            {
                name: "prune",
                image: spec.uploaderImage,
                command: scriptCommand(SCRIPT.prune),
                env: pruneEnv(spec, bucketName),
                volumeMounts: [
                    { name: "scripts", mountPath: MOUNT.scripts, readOnly: true },
                    { name: "tmp", mountPath: "/tmp" },
                ],
                resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "1", memory: "256Mi" } },
                securityContext: containerSecurity(UPLOADER_UID),
            },
        ],
        volumes: [{ name: "scripts", configMap: { name: spec.names.scripts, defaultMode: 0o444 } }, { ...TMP_VOLUME }],
    });
}
