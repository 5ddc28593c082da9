/**
 * gitguardian-backup-drills: a stack that backs GitGuardian up also restores those backups on a
 * schedule (a drill CronJob of GitGuardianBackupPolicy's `drill`): a green backup CronJob is not
 * a restorable set. Advisory by default; make it mandatory in the pack's config.
 */
import type { StackValidationPolicy } from "@pulumi/policy";
import { DRILL_COMPONENT } from "../drill/drillJob";
import { LABELS } from "../core/pod";
import { asWorkload, isPackageLabeled, labelsOf, PackResource, requireBesideBackups, stackValidation, Verdict } from "./model";

export const DRILLS_DECLARED = "gitguardian-backup-drills";

/** A drill CronJob of this package (its component label). */
function isDrill(r: PackResource): boolean {
    const w = asWorkload(r);
    return w !== undefined && w.kind === "CronJob" && isPackageLabeled(w) && labelsOf(w)[LABELS.component] === DRILL_COMPONENT;
}

export function checkDrillsDeclared(resources: PackResource[]): Verdict {
    return requireBesideBackups(
        resources,
        isDrill,
        (n) => `The stack backs GitGuardian up (${n} backup CronJobs) but never restores a set to see that it works. Declare \`drill: { schedule: "0 5 * * *" }\` in GitGuardianBackupPolicy args: a CronJob that restores the latest sets into scratch servers, checks them and writes its result next to them.`,
    );
}

export const drillsDeclaredPolicy: StackValidationPolicy = {
    name: DRILLS_DECLARED,
    description: "A stack that backs GitGuardian up declares a scheduled restore drill of those backups.",
    enforcementLevel: "advisory",
    severity: "medium",
    // No setting of its own: its enforcement level is set in the pack config, like every policy's.
    configSchema: { properties: {} },
    validateStack: stackValidation(checkDrillsDeclared),
};
