/**
 * The public arguments of the alert rules (GitGuardianBackupPolicyArgs.alerts), following the
 * component-provider rules so that every Pulumi language gets the same API.
 */

/**
 * Prometheus alert rules, as a `PrometheusRule` (monitoring.coreos.com/v1, the Prometheus
 * Operator's CRD: declare this only where it is installed). They read kube-state-metrics: a
 * backup Job succeeds only once its set's manifest is committed, so the last successful time of
 * a backup CronJob is the time of its newest complete set.
 */
export interface BackupAlerts {
    /**
     * Hours a part may go without a committed set before GitGuardianBackupStale fires: the
     * recovery point objective. Default 24, the policy pack's default maxIntervalHours (set both
     * to the same number). At least the longest gap of every backup schedule.
     */
    recoveryPointHours?: number;
    /** Labels added to every alert (routing, e.g. `{ team: "platform" }`). */
    labels?: { [key: string]: string };
    /** Labels of the PrometheusRule object itself (the ruleSelector of your Prometheus, e.g. `{ release: "prometheus" }`). */
    ruleLabels?: { [key: string]: string };
    /** `for` of every alert, as Prometheus reads durations. Default `10m`. */
    for?: string;
}
