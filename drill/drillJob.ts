/**
 * The restore drill's CronJob (the object passed to k8s.batch.v1.CronJob): one pod whose init
 * containers run in order the fetch step (aws-cli image: pick, download and verify one set of
 * each part) and each drilled part's step (its backup image: restore into a scratch server of
 * that container, check), then the report step writes the result next to the sets.
 *
 * What keeps a drill off production, by construction: no container's env names a server (the
 * parts' steps set their own Unix socket in the pod's scratch emptyDir), no volume is a claim,
 * and the pod has no ServiceAccount token. Its only identity is the bucket's: read the sets, write
 * under `<prefix>/drills/`.
 */
import { decryptEnv, decryptMounts, identityVolume, toolCopyContainer, TOOLS_VOLUME } from "../encryption/pod";
import * as pulumi from "@pulumi/pulumi";
import { COMMON_ENV, DRILL_ENV, MOUNT, SCRIPT } from "../core/contract";
import { containerSecurity, EnvVar, envValue, LABELS, scriptCommand, scriptMounts, TMP_VOLUME, UPLOADER_UID } from "../core/pod";
import { partNamed } from "../sources/registry";
import { bucketLocationEnv, labels, s3CredentialEnv, scheduledJob, stagingVolume } from "../backup/jobSpec";
import type { PolicySpec } from "../backup/validate";
import { DrillSpec, REPORT_GRACE_SECONDS } from "./validate";

/** The drill's component label (not a part: the pack and the restore tell it from the backups by it). */
export const DRILL_COMPONENT = "drill";

/** The env every step of the drill reads. */
function drillEnv(spec: PolicySpec, drill: DrillSpec): EnvVar[] {
    return [
        envValue(COMMON_ENV.stagingDir.name, MOUNT.staging),
        envValue(DRILL_ENV.dir.name, MOUNT.drill),
        envValue(DRILL_ENV.parts.name, drill.parts.map((p) => p.component).join(",")),
        envValue(DRILL_ENV.deadlineSeconds.name, String(drill.deadlineSeconds)),
        envValue("HOME", "/tmp"),
    ];
}

/** The env of the steps that reach the bucket: where the sets are, and the drill's own key (none with IRSA). */
function bucketEnv(spec: PolicySpec, bucketName: pulumi.Input<string>): EnvVar<pulumi.Input<string>>[] {
    return [
        ...bucketLocationEnv(spec, bucketName),
        ...s3CredentialEnv(spec, spec.names.drillCredentialsSecret),
    ];
}

export function drillCronJobSpec(spec: PolicySpec, drill: DrillSpec, bucketName: pulumi.Input<string>) {
    const mounts = scriptMounts();
    const uploaderResources = { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "1", memory: "1Gi" } };
    const partSteps = drill.parts.map((c) => {
        const part = partNamed(c.component)!;
        return {
            name: `drill-${c.component}`,
            image: part.drill!.image(c),
            command: scriptCommand(part.drill!.script),
            env: [...drillEnv(spec, drill), ...(part.drill!.env?.(c) ?? [])],
            volumeMounts: [...mounts, { name: "scratch", mountPath: MOUNT.drill }],
            resources: drill.resources,
            securityContext: containerSecurity(part.runAsUser),
            terminationMessagePolicy: "FallbackToLogsOnError",
        };
    });
    const job = scheduledJob(spec, spec.names.drillCronJob, { ...labels(spec), [LABELS.component]: DRILL_COMPONENT }, drill.schedule, {
        serviceAccountName: spec.names.drillServiceAccount,
        initContainers: [
            // The sets are decrypted where they are fetched: age comes from the tool image first.
            ...(spec.encryption ? [toolCopyContainer(spec.encryption)] : []),
            {
                name: "fetch",
                image: spec.uploaderImage,
                command: scriptCommand(SCRIPT.drillFetch),
                env: [
                    ...drillEnv(spec, drill),
                    envValue(DRILL_ENV.pick.name, drill.pick),
                    envValue(DRILL_ENV.windowDays.name, String(drill.windowDays)),
                    ...bucketEnv(spec, bucketName),
                    ...(drill.decryption ? decryptEnv() : []),
                ],
                volumeMounts: drill.decryption ? [...mounts, ...decryptMounts()] : mounts,
                resources: uploaderResources,
                securityContext: containerSecurity(UPLOADER_UID),
            },
            ...partSteps,
        ],
        containers: [
            {
                name: "report",
                image: spec.uploaderImage,
                command: scriptCommand(SCRIPT.drillReport),
                env: [...drillEnv(spec, drill), ...bucketEnv(spec, bucketName)],
                volumeMounts: mounts,
                resources: uploaderResources,
                securityContext: containerSecurity(UPLOADER_UID),
                // The Job's reason is the report's last line: "drill <id> FAILED: <part> <check>: <why>".
                terminationMessagePolicy: "FallbackToLogsOnError",
            },
        ],
        volumes: [
            { name: "scripts", configMap: { name: spec.names.scripts, defaultMode: 0o444 } },
            // It holds every part's whole set at once: the policy's staging (an ephemeral PVC with
            // staging.storageClassName), sized by staging.size.
            stagingVolume(spec),
            { name: "scratch", emptyDir: { sizeLimit: drill.scratchSize } },
            { ...TMP_VOLUME },
            ...(drill.decryption ? [{ ...TOOLS_VOLUME }, identityVolume(drill.decryption.identitySecret)] : []),
        ],
        // A drill is not retried (a retry would hide a flaky restore; the next one runs on schedule),
        // and the deadline leaves the report step time to write a TIMED_OUT result.
        job: { backoffLimit: 0, activeDeadlineSeconds: drill.deadlineSeconds + REPORT_GRACE_SECONDS },
    });
    return job;
}
