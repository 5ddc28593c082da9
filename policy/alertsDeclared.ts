/**
 * gitguardian-backup-alerts: a stack that backs GitGuardian up is told when the backups stop: it
 * declares alert rules on them (a PrometheusRule of GitGuardianBackupPolicy's `alerts`, or one of
 * its own that watches the backup CronJobs' last successful time). Advisory by default; make it
 * mandatory in the pack's config.
 */
import type { StackValidationPolicy } from "@pulumi/policy";
import { LABELS, PART_OF } from "../core/pod";
import { at, isUnknown, k8sKind, PackResource, requireBesideBackups, stackValidation, Verdict } from "./model";

export const ALERTS_DECLARED = "gitguardian-backup-alerts";

/** The metric a rule must read to notice that backups stopped. */
const FRESHNESS_METRIC = "kube_cronjob_status_last_successful_time";

function watchesBackups(r: PackResource): boolean {
    if (k8sKind(r.type) !== "PrometheusRule") return false;
    if (at(r.props, "metadata", "labels", LABELS.partOf) === PART_OF) return true;
    const groups = at(r.props, "spec", "groups");
    if (isUnknown(groups)) return true; // computed at preview: give it the benefit of the doubt
    return JSON.stringify(groups ?? []).includes(FRESHNESS_METRIC);
}

export function checkAlertsDeclared(resources: PackResource[]): Verdict {
    return requireBesideBackups(
        resources,
        watchesBackups,
        (n) => `The stack backs GitGuardian up (${n} backup CronJobs) but declares no alert for when they stop. Declare \`alerts: {}\` in GitGuardianBackupPolicy args (a PrometheusRule: stale backups against the recovery point, failed backup Jobs, failed or overdue drills), or a PrometheusRule of your own on ${FRESHNESS_METRIC}.`,
    );
}

export const alertsDeclaredPolicy: StackValidationPolicy = {
    name: ALERTS_DECLARED,
    description: "A stack that backs GitGuardian up declares alert rules that fire when the backups stop or fail.",
    enforcementLevel: "advisory",
    severity: "medium",
    // No setting of its own: its enforcement level is set in the pack config, like every policy's.
    configSchema: { properties: {} },
    validateStack: stackValidation(checkAlertsDeclared),
};
