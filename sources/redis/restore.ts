/**
 * The redis restore: its validated section, and its one step (scale the StatefulSet to 0, place
 * the verified RDB on its data PVC in a Job, scale back).
 */
import type { RestoreResolveContext } from "../part";
import { RESTORE_ENV } from "../../core/contract";
import { envValue } from "../../core/pod";
import { applyBaseEnv, restoreJob } from "../../restore/jobs";
import { overwriteAllowed, restoreSection, RestoreStep, runRestoreJob, setOf, whenRestored } from "../../restore/step";
import type { RestoreSpec } from "../../restore/validate";
import { REDIS_DEFAULTS } from "./backup";
import { REDIS_ENV } from "./env";

export const RESTORE_SCRIPT = "restore-redis.sh";
/** The official redis image's `redis` user (Bitnami's is 1001: redis.runAsUser). */
export const REDIS_UID = 999;
/** Where the Redis data PVC is mounted in the apply container. */
export const REDIS_DATA_MOUNT = "/data";

export const REDIS_RESTORE_DEFAULTS = { readyTimeoutSeconds: 600 } as const;

export interface RedisRestoreSpec {
    statefulSet: string;
    volumeClaimTemplate?: string;
    rdbName?: string;
    aofDir?: string;
    image: string;
    runAsUser: number;
    readyTimeoutMs: number;
}

const PLAIN_FILE = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

export function resolveRedisRestore(r: Record<string, unknown>, { f }: RestoreResolveContext): RedisRestoreSpec {
    const plainFile = (field: "rdbName" | "aofDir") =>
        r[field] === undefined ? undefined : f.text(`redis.${field}`, r[field], PLAIN_FILE, "allowed: a plain file name (letters, digits, '.', '_', '-'; not starting with '.')");
    return {
        statefulSet: f.k8sName("redis.statefulSet", r.statefulSet),
        volumeClaimTemplate: r.volumeClaimTemplate === undefined ? undefined : f.k8sName("redis.volumeClaimTemplate", r.volumeClaimTemplate),
        rdbName: plainFile("rdbName"),
        aofDir: plainFile("aofDir"),
        image: f.image("redis.image", r.image, REDIS_DEFAULTS.image),
        runAsUser: f.int("redis.runAsUser", r.runAsUser, REDIS_UID, 1, 2_147_483_647),
        readyTimeoutMs: 1000 * f.int("redis.readyTimeoutSeconds", r.readyTimeoutSeconds, REDIS_RESTORE_DEFAULTS.readyTimeoutSeconds, 5, 86_400),
    };
}

/** The data volumeClaimTemplate of the Redis StatefulSet. */
export function redisClaimTemplate(templates: readonly string[], wanted: string | undefined, sts: string): string {
    if (wanted) {
        if (!templates.includes(wanted)) throw new Error(`StatefulSet ${sts} has no volumeClaimTemplate ${wanted} (it has ${templates.join(", ") || "none"})`);
        return wanted;
    }
    if (templates.length === 1) return templates[0];
    for (const guess of ["redis-data", "data"]) if (templates.includes(guess)) return guess;
    throw new Error(
        templates.length === 0
            ? `StatefulSet ${sts} has no volumeClaimTemplates: its data is not on a PVC the restore can write`
            : `StatefulSet ${sts} has several volumeClaimTemplates (${templates.join(", ")}); set redis.volumeClaimTemplate`,
    );
}

const REPLICAS_MEMO = "redis.replicas";

/** The restore Job of a redis set: fetch and verify, then restore-redis.sh with the data PVC `claim` mounted. */
export function redisRestoreJob(spec: RestoreSpec, backupId: string, runId: string, claim: string) {
    const r = restoreSection<RedisRestoreSpec>(spec, "redis");
    return restoreJob(spec, "redis", backupId, runId, {
        image: r.image,
        runAsUser: r.runAsUser,
        script: RESTORE_SCRIPT,
        env: [
            ...applyBaseEnv(),
            envValue(REDIS_ENV.dataDir.name, REDIS_DATA_MOUNT),
            envValue(RESTORE_ENV.overwrite.name, overwriteAllowed(spec, "redis", backupId) ? "true" : "false"),
            ...(r.rdbName ? [envValue(REDIS_ENV.rdbName.name, r.rdbName)] : []),
            ...(r.aofDir ? [envValue(REDIS_ENV.aofDir.name, r.aofDir)] : []),
        ],
        volumes: [{ volume: { name: "data", persistentVolumeClaim: { claimName: claim } }, mountPath: REDIS_DATA_MOUNT }],
    });
}

/** Step: Redis, with its StatefulSet stopped. */
export const redisStep: RestoreStep = {
    name: "redis",
    title: "restore Redis: scale its StatefulSet to 0, place the verified RDB on its data PVC in a Job, scale back and wait for readiness",
    component: "redis",
    applies: whenRestored("redis"),
    async run(ctx) {
        const set = setOf(ctx, "redis");
        const r = restoreSection<RedisRestoreSpec>(ctx.spec, "redis");
        const ns = ctx.spec.namespace;
        const ex = ctx.executor;
        const sts = await ex.getStatefulSet(ns, r.statefulSet);
        const template = redisClaimTemplate(sts.volumeClaimTemplates, r.volumeClaimTemplate, r.statefulSet);
        const claim = `${template}-${r.statefulSet}-0`;
        if (!(await ex.hasPersistentVolumeClaim(ns, claim))) {
            throw new Error(`PersistentVolumeClaim ${ns}/${claim} of StatefulSet ${r.statefulSet} does not exist: start the StatefulSet once so that its data volume exists, then run again`);
        }
        // Remember the replica count before touching it: a re-run after a failure finds it here.
        if (ctx.memo[REPLICAS_MEMO] === undefined) {
            ctx.memo[REPLICAS_MEMO] = sts.replicas;
            await ctx.saveMemo();
        }
        const replicas = Number(ctx.memo[REPLICAS_MEMO]);
        const wait = { timeoutMs: r.readyTimeoutMs, progress: ctx.progress };
        ctx.progress(`scaling StatefulSet ${ns}/${r.statefulSet} from ${sts.replicas} to 0 replicas (it had ${replicas})`);
        await ex.scaleStatefulSet(ns, r.statefulSet, 0);
        await ex.waitForStatefulSetPodsGone(ns, r.statefulSet, wait);
        await ctx.ensureScripts();
        const job = redisRestoreJob(ctx.spec, set.backupId, ctx.runId, claim);
        let outcome;
        try {
            outcome = await runRestoreJob(ctx, job);
        } catch (e) {
            // A timeout or an API error does not stop the Job: its pod may still be swapping the
            // data files, and a Redis started meanwhile would load or overwrite them halfway.
            // Redis gets its pods back only once that pod has ended (wherever the script stopped,
            // the volume then starts as the old data or the new).
            const jobName = job.metadata!.name!;
            const scaleBack = `kubectl scale statefulset ${r.statefulSet} --namespace ${ns} --replicas=${replicas}`;
            let after: string;
            try {
                await ex.waitForJobEnded(ns, jobName, wait);
                after = `StatefulSet ${r.statefulSet} scaled back to ${replicas} replicas once Job ${jobName} had ended`;
                try {
                    await ex.scaleStatefulSet(ns, r.statefulSet, replicas);
                } catch (scaleError) {
                    after = `scaling StatefulSet ${r.statefulSet} back to ${replicas} failed too (${(scaleError as Error).message}); scale it by hand: ${scaleBack}`;
                }
            } catch (waitError) {
                after = `StatefulSet ${r.statefulSet} left at 0 replicas because Job ${jobName} may still be writing its data (${(waitError as Error).message}); once its pod has ended (kubectl get pods --namespace ${ns} --selector batch.kubernetes.io/job-name=${jobName}), scale it back: ${scaleBack}`;
            }
            (e as Error).message += `; ${after}`;
            throw e;
        }
        ctx.progress(`scaling StatefulSet ${ns}/${r.statefulSet} back to ${replicas} replicas`);
        await ex.scaleStatefulSet(ns, r.statefulSet, replicas);
        await ex.waitForStatefulSetReady(ns, r.statefulSet, replicas, wait);
        delete ctx.memo[REPLICAS_MEMO];
        await ctx.saveMemo();
        return {
            bytes: set.bytes,
            detail: `set ${set.backupId} placed on PVC ${claim} (${REDIS_DATA_MOUNT}) by Job ${outcome.name}${outcome.alreadySucceeded ? " (it had succeeded before)" : ""}; StatefulSet ${r.statefulSet} back to ${replicas} ready replicas`,
        };
    },
};
