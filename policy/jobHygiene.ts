/**
 * gitguardian-backup-job-hygiene: a backup CronJob (ours or hand-written) never runs twice at
 * once (concurrencyPolicy Forbid: two dumps would race for the staging volume and the database),
 * cannot hang for ever (jobTemplate.spec.activeDeadlineSeconds), and does not retry without end
 * (jobTemplate.spec.backoffLimit, Kubernetes default 6, at most maxBackoffLimit).
 */
import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { asBackupCronJob, at, describe, Findings, isUnknown, notApplicable, PackResource, resolveConfig, resourceValidation, Verdict } from "./model";

export const JOB_HYGIENE = "gitguardian-backup-job-hygiene";

export interface JobHygieneConfig {
    [k: string]: number;
    maxBackoffLimit: number;
}

export const JOB_HYGIENE_DEFAULTS: JobHygieneConfig = { maxBackoffLimit: 6 };

/** Kubernetes' backoffLimit when a Job leaves it out. */
export const KUBERNETES_DEFAULT_BACKOFF_LIMIT = 6;

export const jobHygieneSchema: PolicyConfigSchema = {
    properties: {
        maxBackoffLimit: {
            type: "integer",
            minimum: 0,
            default: JOB_HYGIENE_DEFAULTS.maxBackoffLimit,
            description: "Most retries a backup Job may have (jobTemplate.spec.backoffLimit; Kubernetes' default is 6).",
        },
    },
};

export function checkJobHygiene(resource: PackResource, config?: Partial<JobHygieneConfig>): Verdict {
    const cfg = resolveConfig(JOB_HYGIENE, JOB_HYGIENE_DEFAULTS, config);
    const b = asBackupCronJob(resource);
    if (!b) return notApplicable("not a backup CronJob");
    const f = new Findings();
    const who = `${describe(b)} (backup of ${[...b.components].join(" and ")})`;
    const ours = b.evidence === "labels";

    const concurrency = at(b.props, "spec", "concurrencyPolicy");
    if (isUnknown(concurrency)) f.unknown(concurrency);
    else if (concurrency !== "Forbid") {
        f.report(`${who} has concurrencyPolicy ${JSON.stringify(concurrency ?? "Allow (default)")}: two runs could dump and upload at once. Set \`concurrencyPolicy: "Forbid"\`.`, resource.urn);
    }

    const jobSpec = at(b.props, "spec", "jobTemplate", "spec");
    const deadline = at(jobSpec, "activeDeadlineSeconds");
    if (isUnknown(deadline)) f.unknown(deadline);
    else if (typeof deadline !== "number" || deadline <= 0) {
        f.report(
            `${who} has no jobTemplate.spec.activeDeadlineSeconds: a hung dump or upload would hold the next runs back for ever. ` +
                (ours ? "Set `activeDeadlineSeconds` in GitGuardianBackupPolicy args (default 14400)." : "Set it, e.g. `activeDeadlineSeconds: 14400` (4 hours)."),
            resource.urn,
        );
    }

    const backoff = at(jobSpec, "backoffLimit");
    if (isUnknown(backoff)) f.unknown(backoff);
    else {
        const limit = typeof backoff === "number" ? backoff : KUBERNETES_DEFAULT_BACKOFF_LIMIT;
        if (limit > cfg.maxBackoffLimit) {
            const shown = typeof backoff === "number" ? `${backoff}` : `unset (Kubernetes default ${KUBERNETES_DEFAULT_BACKOFF_LIMIT})`;
            f.report(
                `${who} has jobTemplate.spec.backoffLimit ${shown}, more than maxBackoffLimit ${cfg.maxBackoffLimit}: a failing backup would retry against the database over and over. ` +
                    `Set \`backoffLimit: ${Math.min(2, cfg.maxBackoffLimit)}\`${ours ? " in GitGuardianBackupPolicy args" : ""}.`,
                resource.urn,
            );
        }
    }
    return f.verdict();
}

export const jobHygienePolicy: ResourceValidationPolicy = {
    name: JOB_HYGIENE,
    description: "Backup CronJobs use concurrencyPolicy Forbid, set activeDeadlineSeconds, and keep backoffLimit at most maxBackoffLimit.",
    enforcementLevel: "advisory",
    severity: "medium",
    configSchema: jobHygieneSchema,
    validateResource: resourceValidation<JobHygieneConfig>(checkJobHygiene),
};
