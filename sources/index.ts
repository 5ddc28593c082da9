/** The backed-up parts: their descriptors and the registry everything per part derives from. */
export { BackupPart, PartBackupSpec, definePart } from "./part";
export { backupParts, partNamed, registerPart, unregisterPart, requiredPartNames, contractEnv, scriptBundle } from "./registry";

import { kotsPart } from "./kots";
import { postgresPart } from "./postgres";
import { redisPart } from "./redis";
export { kotsPart, postgresPart, redisPart };

/** Script names of the built-in parts, for the tools and tests that run them one at a time. */
export const PART_SCRIPT = {
    dump: { postgres: postgresPart.dumpScript, redis: redisPart.dumpScript, kots: kotsPart.dumpScript } as Readonly<Record<string, string>>,
    restorePostgres: postgresPart.restoreScripts[0],
    restoreRedis: redisPart.restoreScripts[0],
    drill: { postgres: postgresPart.drill!.script, redis: redisPart.drill!.script, kots: kotsPart.drill!.script } as Readonly<Record<string, string>>,
} as const;
