/**
 * The redis part: a fresh RDB snapshot over the replication protocol (`redis-cli --rdb`), placed
 * on the StatefulSet's data PVC by a restore Job while the StatefulSet is scaled to 0.
 */
import * as path from "node:path";
import { packageRoot } from "../../core/paths";
import { definePart } from "../part";
import { REDIS_DEFAULTS, redisDumpEnv, resolveRedisBackup } from "./backup";
import { REDIS_ENV } from "./env";
import { REDIS_UID, redisStep, resolveRedisRestore, RESTORE_SCRIPT } from "./restore";

export const redisPart = definePart({
    name: "redis",
    title: "Redis: an RDB snapshot of the master (redis-cli --rdb)",
    scriptsDir: path.join(packageRoot(), "sources", "redis"),
    dumpScript: "dump-redis.sh",
    restoreScripts: [RESTORE_SCRIPT],
    // What redis-check-rdb reads in a snapshot: recorded at backup, checked by the restore and the drills.
    libraries: ["rdb-keys.sh"],
    artifacts: ["dump.rdb"],
    env: REDIS_ENV,
    runAsUser: REDIS_UID,
    defaultImage: REDIS_DEFAULTS.image,
    requiredBySchedulePolicy: true,
    recognise: { command: /\bredis-cli\b[^;&|]*\s--rdb\b/, handWritten: "redis-cli --rdb", enableArg: '`redis: { host: "..." }`' },
    backup: { resolve: resolveRedisBackup, env: redisDumpEnv, roleRules: () => [] },
    // The redis image holds the server a drill loads the snapshot into.
    drill: { script: "drill-redis.sh", image: (spec) => spec.image },
    restore: { resolve: resolveRedisRestore, steps: [redisStep] },
});
