/**
 * The validation rules GitGuardianRestore shares with GitGuardianBackupPolicy (namespace, host,
 * port, role name, Secret references, bucket, endpoint, region, prefix, images, Kubernetes
 * names, quantities), with the policy's own messages.
 *
 * components/validate.ts keeps its field validators private to resolvePolicy, so each rule here
 * runs resolvePolicy on a minimal valid policy that carries the one value in the policy field of
 * the same rule, and renames the argument in the error. The rules and messages are therefore the
 * policy's by construction; if the policy exports its validators one day, only this file changes.
 */
import { GitGuardianBackupPolicyArgs } from "../components/args";
import { ArgumentError, resolvePolicy } from "../components/validate";

/** A valid policy of which one field is replaced. */
function basePolicy(): GitGuardianBackupPolicyArgs {
    return {
        namespace: "ns",
        schedule: "@daily",
        retentionDays: 1,
        storage: { existingBucket: { name: "bucket" } },
        postgres: { host: "postgres", passwordSecret: { name: "pg", key: "password" } },
    };
}

const POLICY_ERROR = /^GitGuardianBackupPolicy "[^"]*": argument (\S+) = ([\s\S]*) is invalid; ([\s\S]*)$/;

/**
 * Runs the policy rule that reads `policyArg` with the value placed by `place`, and rethrows
 * its error as the restore's: `who: argument <restoreArg…> = <value> is invalid; <allowed>`.
 */
function viaPolicy(who: string, policyArg: string, restoreArg: string, place: (p: GitGuardianBackupPolicyArgs) => void): void {
    const args = basePolicy();
    place(args);
    try {
        resolvePolicy("r", args);
    } catch (e) {
        if (!(e instanceof ArgumentError)) throw e;
        const m = POLICY_ERROR.exec(e.message);
        if (!m) throw e;
        const [, argument, valueText, allowed] = m;
        if (argument !== policyArg && !argument.startsWith(policyArg + ".")) throw e;
        const renamed = restoreArg + argument.slice(policyArg.length);
        const err = new ArgumentError(who, renamed, undefined, allowed);
        err.message = `${who}: argument ${renamed} = ${valueText} is invalid; ${allowed}`;
        throw err;
    }
}

export type Rule = (who: string, argument: string, value: unknown) => void;

/** Namespace: a DNS label. */
export const namespaceRule: Rule = (who, argument, value) =>
    viaPolicy(who, "namespace", argument, (p) => {
        p.namespace = value as string;
    });

/** Host name or IP address. */
export const hostRule: Rule = (who, argument, value) =>
    viaPolicy(who, "postgres.host", argument, (p) => {
        p.postgres!.host = value as string;
    });

/** TCP port (1..65535). */
export const portRule: Rule = (who, argument, value) =>
    viaPolicy(who, "postgres.port", argument, (p) => {
        p.postgres!.port = value as number;
    });

/** PostgreSQL role name. */
export const pgUserRule: Rule = (who, argument, value) =>
    viaPolicy(who, "postgres.user", argument, (p) => {
        p.postgres!.user = value as string;
    });

/** pg_restore workers (1..64). */
export const parallelJobsRule: Rule = (who, argument, value) =>
    viaPolicy(who, "postgres.parallelJobs", argument, (p) => {
        p.postgres!.parallelJobs = value as number;
    });

/** `{ name, key }` of a Secret in the namespace. */
export const secretRefRule: Rule = (who, argument, value) =>
    viaPolicy(who, "postgres.passwordSecret", argument, (p) => {
        p.postgres!.passwordSecret = value as { name: string; key: string };
    });

/** Container image reference. */
export const imageRule: Rule = (who, argument, value) =>
    viaPolicy(who, "postgres.image", argument, (p) => {
        p.postgres!.image = value as string;
    });

/** A Kubernetes object name (DNS subdomain). */
export const k8sNameRule: Rule = (who, argument, value) =>
    viaPolicy(who, "staging.storageClassName", argument, (p) => {
        p.staging = { storageClassName: value as string };
    });

/** A KOTS app slug (DNS label). */
export const appSlugRule: Rule = (who, argument, value) =>
    viaPolicy(who, "kots.appSlug", argument, (p) => {
        p.kots = { appSlug: value as string, image: "kotsadm/kotsadm:v1.124.0" };
    });

/** A Kubernetes quantity such as 20Gi. */
export const quantityRule: Rule = (who, argument, value) =>
    viaPolicy(who, "staging.size", argument, (p) => {
        p.staging = { size: value as string };
    });

/** Bucket name. */
export const bucketRule: Rule = (who, argument, value) =>
    viaPolicy(who, "storage.existingBucket.name", argument, (p) => {
        p.storage.existingBucket!.name = value as string;
    });

/** http(s) endpoint without credentials. */
export const endpointRule: Rule = (who, argument, value) =>
    viaPolicy(who, "storage.existingBucket.endpoint", argument, (p) => {
        p.storage.existingBucket!.endpoint = value as string;
    });

/** Region name. */
export const regionRule: Rule = (who, argument, value) =>
    viaPolicy(who, "storage.existingBucket.region", argument, (p) => {
        p.storage.existingBucket!.region = value as string;
    });

/** Key prefix of the sets. */
export const prefixRule: Rule = (who, argument, value) =>
    viaPolicy(who, "storage.prefix", argument, (p) => {
        p.storage.prefix = value as string;
    });

/** `{ name, accessKeyIdKey?, secretAccessKeyKey? }` of the S3 credentials Secret. */
export const credentialsSecretRule: Rule = (who, argument, value) =>
    viaPolicy(who, "storage.existingBucket.credentialsSecret", argument, (p) => {
        p.storage.existingBucket!.credentialsSecret = value as { name: string };
    });

/** A whole number within the policy's activeDeadlineSeconds range (60 s to 7 days). */
export const deadlineRule: Rule = (who, argument, value) =>
    viaPolicy(who, "activeDeadlineSeconds", argument, (p) => {
        p.activeDeadlineSeconds = value as number;
    });
