/**
 * The policies of the gitguardian-backup pack, as data. Importing this starts nothing: the
 * PolicyPack (and its gRPC server) is built only in policy/index.ts, when the engine runs it.
 */
import type { Policies } from "@pulumi/policy";
import { alertsDeclaredPolicy } from "./alertsDeclared";
import { bucketSecurePolicy } from "./bucketSecure";
import { drillsDeclaredPolicy } from "./drillsDeclared";
import { encryptionDeclaredPolicy } from "./encryptionDeclared";
import { noPrivateKeyPolicy } from "./noPrivateKey";
import { jobHygienePolicy } from "./jobHygiene";
import { maxIntervalPolicy } from "./maxInterval";
import { noInlineSecretsPolicy } from "./noInlineSecrets";
import { retentionPolicy } from "./retention";
import { scheduleRequiredPolicy } from "./scheduleRequired";

export const PACK_NAME = "gitguardian-backup";

export const PACK_DESCRIPTION =
    "A stack running a self-hosted GitGuardian has scheduled, frequent, well-behaved backups of postgres, redis and kots, into a secure bucket that keeps them, with no secret written into a pod spec.";

/** Every policy, by its stable name (the names users put in --policy-pack-config). */
export const policies: Policies = [
    scheduleRequiredPolicy,
    maxIntervalPolicy,
    bucketSecurePolicy,
    retentionPolicy,
    noInlineSecretsPolicy,
    jobHygienePolicy,
    drillsDeclaredPolicy,
    alertsDeclaredPolicy,
    encryptionDeclaredPolicy,
    noPrivateKeyPolicy,
];
