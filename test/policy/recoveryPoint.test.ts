/**
 * One recovery point, checked at preview and alerted at run time: the alert rules the component
 * declares (alerts/rules.ts) run through Prometheus's own rule tests (`promtool test rules`, built
 * from github.com/prometheus/prometheus) on synthetic kube-state-metrics series. On a daily
 * schedule a backup 25 h old fires and one 23 h old does not; a failed backup Job and a failed
 * drill fire, another CronJob's failure does not; a drill overdue by its schedule and deadline
 * fires. The same test file fails once the rules' threshold moves off the pack's number.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { execa } from "execa";
import { GitGuardianBackupPolicyArgs } from "../../backup/args";
import { resolvePolicy } from "../../backup/validate";
import { alertRules } from "../../alerts/rules";
import { DEFAULT_RECOVERY_POINT_HOURS } from "../../core/recoveryPoint";
import { MAX_INTERVAL_DEFAULTS } from "../../policy/maxInterval";
import { makeTempDir, removeTempDir } from "../../harness/proc";
import { promtoolBin } from "../../harness/tools";

const NS = "gitguardian";
const H = 3600;

const args = (alerts: GitGuardianBackupPolicyArgs["alerts"] = {}): GitGuardianBackupPolicyArgs => ({
    namespace: NS,
    schedule: "0 2 * * *",
    retentionDays: 14,
    storage: { existingBucket: { name: "gitguardian-backups", endpoint: "https://minio.example", credentialsSecret: { name: "s3" } } },
    postgres: { host: "pg", passwordSecret: { name: "pg", key: "password" } },
    redis: { host: "redis" },
    drill: { schedule: "0 5 * * *", deadlineSeconds: 3600 },
    alerts,
});

/** A series of one constant value, sampled every minute up to `minutes`. */
const constant = (series: string, value: number, minutes: number) => ({ series, values: `${value}x${minutes}` });
const lastSuccess = (cronjob: string, at: number) => constant(`kube_cronjob_status_last_successful_time{namespace="${NS}", cronjob="${cronjob}"}`, at, 27 * 60);
const created = (cronjob: string) => constant(`kube_cronjob_created{namespace="${NS}", cronjob="${cronjob}"}`, 0, 27 * 60);
/** A Job of `cronjob`, as kube-state-metrics shows it: its Failed condition true (1) or false (0), and a failed pod either way. */
const jobOf = (cronjob: string, job: string, failed: 0 | 1) => [
    constant(`kube_job_failed{namespace="${NS}", job_name="${job}", condition="true"}`, failed, 60),
    constant(`kube_job_failed{namespace="${NS}", job_name="${job}", condition="false"}`, 1 - failed, 60),
    constant(`kube_job_status_failed{namespace="${NS}", job_name="${job}", reason=""}`, 1, 60),
    constant(`kube_job_owner{namespace="${NS}", job_name="${job}", owner_kind="CronJob", owner_name="${cronjob}", owner_is_controller="true"}`, 1, 60),
];
const failedJob = (cronjob: string, job: string) => jobOf(cronjob, job, 1);

/** The rule tests: fixed series and expectations, whatever the rules say. */
function ruleTests(ruleFile: string) {
    return {
        rule_files: [ruleFile],
        evaluation_interval: "1m",
        tests: [
            {
                // At 26 h: postgres last committed at 1 h (25 h ago), redis at 3 h (23 h ago).
                interval: "1m",
                input_series: [lastSuccess("gitguardian-backup-postgres", 1 * H), lastSuccess("gitguardian-backup-redis", 3 * H), created("gitguardian-backup-postgres"), created("gitguardian-backup-redis")],
                alert_rule_test: [
                    {
                        eval_time: "26h",
                        alertname: "GitGuardianBackupStale",
                        exp_alerts: [
                            {
                                exp_labels: { severity: "critical", team: "platform", namespace: NS, cronjob: "gitguardian-backup-postgres" },
                                exp_annotations: {
                                    summary: "GitGuardian backup gitguardian-backup-postgres has committed no set for over 24 h",
                                    description: `The newest complete set of gitguardian-backup-postgres in ${NS} is 1d 1h 0m 0s old, beyond the recovery point objective of 24 h (the policy pack's maxIntervalHours). Look at its last Jobs: kubectl -n ${NS} get jobs -l app.kubernetes.io/instance=gitguardian`,
                                },
                            },
                        ],
                    },
                ],
            },
            {
                // A backup Job and a drill Job failed; another application's CronJob failed too; a
                // backup whose first pod failed and whose retry succeeded did not.
                interval: "1m",
                input_series: [
                    ...failedJob("gitguardian-backup-redis", "gitguardian-backup-redis-29431200"),
                    ...failedJob("gitguardian-backup-drill", "gitguardian-backup-drill-29431380"),
                    ...failedJob("other-app-nightly", "other-app-nightly-29431200"),
                    // A pod of the postgres backup failed, its retry committed: not a failed backup.
                    ...jobOf("gitguardian-backup-postgres", "gitguardian-backup-postgres-29431200", 0),
                ],
                alert_rule_test: [
                    {
                        eval_time: "5m",
                        alertname: "GitGuardianBackupJobFailed",
                        exp_alerts: [
                            {
                                exp_labels: { severity: "critical", team: "platform", namespace: NS, owner_name: "gitguardian-backup-redis" },
                                exp_annotations: {
                                    summary: "A GitGuardian backup Job of gitguardian-backup-redis failed",
                                    description: `A Job of gitguardian-backup-redis in ${NS} failed and committed no set; its reason is the termination message: kubectl -n ${NS} describe jobs -l app.kubernetes.io/instance=gitguardian`,
                                },
                            },
                        ],
                    },
                    {
                        eval_time: "5m",
                        alertname: "GitGuardianRestoreDrillFailed",
                        exp_alerts: [
                            {
                                exp_labels: { severity: "critical", team: "platform", namespace: NS, owner_name: "gitguardian-backup-drill" },
                                exp_annotations: {
                                    summary: "A GitGuardian restore drill failed: the sets may not restore",
                                    description: `A Job of gitguardian-backup-drill in ${NS} was FAILED or TIMED_OUT; its one-line reason is the termination message, its result is under gitguardian/drills/ in the bucket.`,
                                },
                            },
                        ],
                    },
                ],
            },
            {
                // A daily drill with a 1 h deadline is due every 25 h: last good at 0, so overdue after 25 h (+ for).
                interval: "1m",
                input_series: [lastSuccess("gitguardian-backup-drill", 0), created("gitguardian-backup-drill")],
                alert_rule_test: [
                    { eval_time: "24h", alertname: "GitGuardianRestoreDrillStale", exp_alerts: [] },
                    {
                        eval_time: "26h",
                        alertname: "GitGuardianRestoreDrillStale",
                        exp_alerts: [
                            {
                                exp_labels: { severity: "critical", team: "platform", namespace: NS, cronjob: "gitguardian-backup-drill" },
                                exp_annotations: {
                                    summary: "No GitGuardian restore drill succeeded on schedule",
                                    description: `No drill of gitguardian-backup-drill in ${NS} succeeded for 1d 2h 0m 0s (due every 90000 s: its schedule's longest gap plus its deadline).`,
                                },
                            },
                        ],
                    },
                ],
            },
        ],
    };
}

describe("one recovery point: the pack's maxIntervalHours, the alert rules' threshold (promtool test rules)", function () {
    this.timeout(900_000); // a fresh machine builds promtool first (scripts/test.sh starts it beside the suites)
    let promtool: string;
    let dir: string;
    before(async () => {
        promtool = await promtoolBin();
        dir = makeTempDir("promtool");
    });
    after(() => removeTempDir(dir));

    /** promtool check rules and test rules on the rules of `alerts`; the test's outcome. */
    const promtoolTest = async (alerts: GitGuardianBackupPolicyArgs["alerts"]) => {
        const spec = resolvePolicy("gitguardian", args(alerts));
        // JSON is YAML: promtool reads the rule and test files as YAML.
        fs.writeFileSync(path.join(dir, "rules.json"), JSON.stringify(alertRules(spec, spec.alerts!), null, 2));
        fs.writeFileSync(path.join(dir, "tests.json"), JSON.stringify(ruleTests("rules.json"), null, 2));
        const check = await execa(promtool, ["check", "rules", "rules.json"], { cwd: dir, reject: false });
        assert.equal(check.exitCode, 0, check.stdout + check.stderr);
        return execa(promtool, ["test", "rules", "tests.json"], { cwd: dir, reject: false });
    };

    it("the default threshold is the pack's default maxIntervalHours", () => {
        assert.equal(MAX_INTERVAL_DEFAULTS.maxIntervalHours, DEFAULT_RECOVERY_POINT_HOURS);
        const spec = resolvePolicy("gitguardian", args());
        assert.equal(spec.alerts!.recoveryPointHours, MAX_INTERVAL_DEFAULTS.maxIntervalHours);
    });

    it("the rules pass Prometheus's own rule tests: 25 h fires, 23 h does not; failed Jobs and an overdue drill fire", async () => {
        const r = await promtoolTest({ labels: { team: "platform" } });
        assert.equal(r.exitCode, 0, r.stdout + r.stderr);
        assert.match(r.stdout, /SUCCESS/);
    });

    it("the same tests fail once the threshold moves off the recovery point (26 h: the 25-hour-old backup no longer fires)", async () => {
        const r = await promtoolTest({ labels: { team: "platform" }, recoveryPointHours: 26 });
        assert.equal(r.exitCode, 1, r.stdout + r.stderr);
        assert.match(r.stdout + r.stderr, /GitGuardianBackupStale/);
    });

    it("refuses a recovery point shorter than a schedule's gaps, at preview", () => {
        assert.throws(
            () => resolvePolicy("gitguardian", args({ recoveryPointHours: 12 })),
            /argument alerts\.recoveryPointHours = 12 is invalid; the postgres schedule "0 2 \* \* \*" leaves gaps of 24 h, so the alert would fire between two good runs; allowed: at least 24/,
        );
    });
});
