/**
 * The alert rules of a policy (a pure builder: the PrometheusRule's spec, also what
 * `promtool test rules` is run on). They read kube-state-metrics, which a cluster running the
 * Prometheus Operator has, and need no process of this package's own: a backup Job of this
 * package succeeds only once upload.sh has committed its set's manifest, so a backup CronJob's
 * last successful time is the time of its newest complete set, and a drill Job succeeds only
 * when the drill is SUCCESSFUL.
 *
 * - GitGuardianBackupStale: a part's newest set is older than the recovery point (or none
 *   committed that long after its CronJob was created).
 * - GitGuardianBackupJobFailed: a backup Job failed (while the failed Job is kept).
 * - GitGuardianRestoreDrillFailed: a drill Job failed (the drill was FAILED or TIMED_OUT).
 * - GitGuardianRestoreDrillStale: no drill succeeded within its schedule's longest gap plus its
 *   deadline.
 */
import { maxIntervalHours } from "../core/schedule";
import type { PolicySpec } from "../backup/validate";
import { ALERT_DEFAULTS, AlertsSpec } from "./validate";

export interface AlertRule {
    alert: string;
    expr: string;
    for: string;
    labels: { [k: string]: string };
    annotations: { summary: string; description: string };
}

export interface RuleGroups {
    groups: { name: string; rules: AlertRule[] }[];
}

/** A PromQL regex of exact names (Kubernetes names: nothing in them to escape). */
const anyOf = (names: string[]) => names.join("|");

/**
 * Seconds since a CronJob last succeeded, or since it was created when it never has; in
 * parentheses as a whole, since a comparison binds tighter than `or` (promtool caught the
 * version without them firing on a 23-hour-old backup).
 */
function sinceLastSuccess(selector: string): string {
    return `(
  (time() - max by (namespace, cronjob) (kube_cronjob_status_last_successful_time{${selector}}))
  or
  (time() - max by (namespace, cronjob) (kube_cronjob_created{${selector}}) unless on (namespace, cronjob) kube_cronjob_status_last_successful_time{${selector}})
)`;
}

/**
 * Failed Jobs of the given CronJobs, by CronJob (kube_job_owner names a Job's CronJob). A Job
 * whose Failed condition is true: not kube_job_status_failed, which counts failed pods and so
 * also a Job whose retry then committed its set.
 */
function failedJobs(namespace: string, cronJobs: string): string {
    return `max by (namespace, owner_name) (kube_job_failed{namespace="${namespace}", condition="true"} * on (namespace, job_name) group_left (owner_name) kube_job_owner{namespace="${namespace}", owner_kind="CronJob", owner_name=~"${cronJobs}"}) > 0`;
}

export function alertRules(spec: PolicySpec, alerts: AlertsSpec): RuleGroups {
    const ns = spec.namespace;
    const labels = { severity: ALERT_DEFAULTS.severity, ...alerts.labels };
    const backups = anyOf(spec.components.map((c) => spec.names.cronJob[c.component]));
    const rpo = alerts.recoveryPointHours;
    const rules: AlertRule[] = [
        {
            alert: "GitGuardianBackupStale",
            expr: `${sinceLastSuccess(`namespace="${ns}", cronjob=~"${backups}"`)}
> ${rpo * 3600}`,
            for: alerts.for,
            labels,
            annotations: {
                summary: `GitGuardian backup {{ $labels.cronjob }} has committed no set for over ${rpo} h`,
                description: `The newest complete set of {{ $labels.cronjob }} in {{ $labels.namespace }} is {{ $value | humanizeDuration }} old, beyond the recovery point objective of ${rpo} h (the policy pack's maxIntervalHours). Look at its last Jobs: kubectl -n ${ns} get jobs -l app.kubernetes.io/instance=${spec.name}`,
            },
        },
        {
            alert: "GitGuardianBackupJobFailed",
            expr: failedJobs(ns, backups),
            for: "0m",
            labels,
            annotations: {
                summary: "A GitGuardian backup Job of {{ $labels.owner_name }} failed",
                description: `A Job of {{ $labels.owner_name }} in {{ $labels.namespace }} failed and committed no set; its reason is the termination message: kubectl -n ${ns} describe jobs -l app.kubernetes.io/instance=${spec.name}`,
            },
        },
    ];
    if (spec.drill) {
        const drill = spec.names.drillCronJob;
        // A drill is due once per its schedule's longest gap, and may run for its deadline.
        const due = Math.round(maxIntervalHours(spec.drill.schedule, spec.timeZone) * 3600 + spec.drill.deadlineSeconds);
        rules.push(
            {
                alert: "GitGuardianRestoreDrillFailed",
                expr: failedJobs(ns, anyOf([drill])),
                for: "0m",
                labels,
                annotations: {
                    summary: "A GitGuardian restore drill failed: the sets may not restore",
                    description: `A Job of ${drill} in {{ $labels.namespace }} was FAILED or TIMED_OUT; its one-line reason is the termination message, its result is under ${spec.prefix}/drills/ in the bucket.`,
                },
            },
            {
                alert: "GitGuardianRestoreDrillStale",
                expr: `${sinceLastSuccess(`namespace="${ns}", cronjob="${drill}"`)}
> ${due}`,
                for: alerts.for,
                labels,
                annotations: {
                    summary: "No GitGuardian restore drill succeeded on schedule",
                    description: `No drill of ${drill} in {{ $labels.namespace }} succeeded for {{ $value | humanizeDuration }} (due every ${due} s: its schedule's longest gap plus its deadline).`,
                },
            },
        );
    }
    return { groups: [{ name: `${spec.name}-gitguardian-backup`, rules }] };
}
