/**
 * Public arguments of GitGuardianRestore. Shared arguments (namespace, hosts, Secret references,
 * bucket, prefix, images) follow the same rules and error messages as GitGuardianBackupPolicy.
 */
import * as pulumi from "@pulumi/pulumi";
import type { S3CredentialsSecret } from "../core/args";
import { KotsInstall, KotsRestore } from "../sources/kots/args";
import { PostgresRestore } from "../sources/postgres/args";
import { RedisRestore } from "../sources/redis/args";
import type { RestoreDecryption } from "../encryption/args";

export { KotsInstall, KotsRestore, PostgresRestore, RedisRestore };

/** Where the sets are: what `GitGuardianBackupPolicy.storage` outputs, or written by hand. */
export interface RestoreStorage {
    /** Bucket name. */
    bucketName: string;
    /** Key prefix of the sets (`<prefix>/<component>/<backupId>/`). Default `gitguardian`. */
    prefix?: string;
    /** Bucket region. Default `us-east-1`. */
    region?: string;
    /** S3-compatible endpoint (MinIO, Ceph RGW); empty or unset for AWS. */
    endpoint?: string;
    /**
     * Secret in the namespace with static S3 credentials. The restore Jobs read it through
     * secretKeyRef; the provider reads it to list and verify the sets.
     */
    credentialsSecret?: S3CredentialsSecret;
    /**
     * ServiceAccount the restore Jobs run as when there is no credentials Secret: the one whose
     * IRSA role (or other pod identity) reaches the bucket. `GitGuardianBackupPolicy.storage`
     * names it in IRSA mode. The provider itself uses the usual AWS credential chain.
     */
    serviceAccountName?: string;
    /**
     * Neither a Secret nor a ServiceAccount: the Jobs use whatever identity the node gives them.
     * Refused unless set to true, since it fails, or worse succeeds with the node role's broader
     * rights. Default false.
     */
    ambientIdentity?: boolean;
}

/** Arguments of GitGuardianRestore. */
export interface GitGuardianRestoreArgs {
    /** Namespace of the GitGuardian installation. */
    namespace: string;
    /** Where the sets are. */
    storage: pulumi.Input<RestoreStorage>;
    /** `latest`, an exact id such as `20261127T020000Z`, or `at-or-before:<ISO-8601 time>`. Changing it restores again. */
    backupId: string;
    /** PostgreSQL restore. Omit to skip it. */
    postgres?: PostgresRestore;
    /** Redis restore. Omit to skip it. */
    redis?: RedisRestore;
    /** KOTS restore. Omit to skip it. */
    kots?: KotsRestore;
    /**
     * Hours within which the chosen sets of the parts must have started (their ids are their
     * start times): `latest` is chosen per part, and a night whose redis or kots backup failed
     * would otherwise pair the newest database with an older configuration. Default 12.
     */
    setWindowHours?: number;
    /** Restore sets started further apart than `setWindowHours` together. Default false. */
    allowSetsApart?: boolean;
    /** Arbitrary values; changing any of them restores again. */
    triggers?: pulumi.Input<{ [key: string]: pulumi.Input<string> }>;
    /** Kubeconfig content (a secret). Default: KUBECONFIG, ~/.kube/config or the in-cluster identity. */
    kubeconfig?: pulumi.Input<string>;
    /** Image of the fetch step (aws CLI). Default `amazon/aws-cli:2.22.35`. */
    fetchImage?: string;
    /** Size limit of the staging emptyDir of the restore Jobs. Default `20Gi`. */
    stagingSize?: string;
    /** Seconds a restore Job may run (activeDeadlineSeconds). Default 14400. */
    jobTimeoutSeconds?: number;
    /**
     * What the plan step checks before anything is changed: `checksum` (default) downloads every
     * artifact and compares size and sha256 with its manifest; `size` compares sizes only (the
     * Jobs still verify sha256 before they touch a target).
     */
    verify?: string;
    /**
     * The age identity that decrypts sets made with `GitGuardianBackupPolicy.encryption`. The
     * plan step checks it against each chosen set's recipients before anything is changed.
     * Omit for sets that are not encrypted.
     */
    decryption?: RestoreDecryption;
}
