/**
 * The validation rules GitGuardianRestore shares with GitGuardianBackupPolicy: the field rules
 * of components/fields.ts, so both resources accept the same values with the same messages.
 */
import { FieldRules } from "../core/fields";

export type Rule = (who: string, argument: string, value: unknown) => void;

const rule =
    (check: (f: FieldRules, argument: string, value: unknown) => unknown): Rule =>
    (who, argument, value) =>
        void check(new FieldRules(who), argument, value);

/** Namespace: a DNS label. */
export const namespaceRule = rule((f, a, v) => f.namespace(a, v));
/** Host name or IP address. */
export const hostRule = rule((f, a, v) => f.host(a, v));
/** TCP port (1..65535). */
export const portRule = rule((f, a, v) => f.port(a, v ?? null, 0));
/** PostgreSQL role name. */
export const pgUserRule = rule((f, a, v) => f.pgUser(a, v));
/** pg_restore workers (1..64), as the policy's parallelJobs. */
export const parallelJobsRule = rule((f, a, v) => f.int(a, v ?? null, 0, 1, 64));
/** `{ name, key }` of a Secret in the namespace. */
export const secretRefRule = rule((f, a, v) => f.secretRef(a, v));
/** Container image reference. */
export const imageRule = rule((f, a, v) => f.image(a, v));
/** A Kubernetes object name (DNS subdomain). */
export const k8sNameRule = rule((f, a, v) => f.k8sName(a, v));
/** A KOTS app slug (DNS label). */
export const appSlugRule = rule((f, a, v) => f.appSlug(a, v));
/** A Kubernetes quantity such as 20Gi. */
export const quantityRule = rule((f, a, v) => f.quantity(a, v));
/** Bucket name. */
export const bucketRule = rule((f, a, v) => f.bucket(a, v));
/** http(s) endpoint without credentials. */
export const endpointRule = rule((f, a, v) => f.endpoint(a, v));
/** Region name. */
export const regionRule = rule((f, a, v) => f.region(a, v));
/** Key prefix of the sets. */
export const prefixRule = rule((f, a, v) => f.prefix(a, v));
/** `{ name, accessKeyIdKey?, secretAccessKeyKey? }` of the S3 credentials Secret. */
export const credentialsSecretRule = rule((f, a, v) => f.credentialsSecret(a, v));
/** A whole number within the policy's activeDeadlineSeconds range (60 s to 7 days). */
export const deadlineRule = rule((f, a, v) => f.int(a, v ?? null, 0, 60, 7 * 86_400));
