/**
 * Public arguments of GitGuardianRestore. Shared arguments (namespace, hosts, Secret references,
 * bucket, prefix, images) follow the same rules and error messages as GitGuardianBackupPolicy.
 */
import * as pulumi from "@pulumi/pulumi";
import { SecretKeyRefArgs } from "../backup/args";

/** Where the sets are: what `GitGuardianBackupPolicy.storage` outputs, or written by hand. */
export interface RestoreStorageArgs {
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
     * secretKeyRef; the provider reads it to list and verify the sets. Unset: the ambient AWS
     * identity (IRSA for the Jobs, the usual AWS credential chain for the provider).
     */
    credentialsSecret?: { name: string; accessKeyIdKey?: string; secretAccessKeyKey?: string };
}

/** PostgreSQL restore target. */
export interface PostgresRestoreArgs {
    /** Restore PostgreSQL. Default true. */
    enabled?: boolean;
    /** Host name of the server (a Service name in the namespace, or an external host). */
    host: string;
    /** Port. Default 5432. */
    port?: number;
    /** A superuser that can create every database and role. Default `postgres`. */
    user?: string;
    /** The user's password (read by the Job through secretKeyRef, never copied). */
    passwordSecret: SecretKeyRefArgs;
    /** Restore into a non-empty server: every database and role but the restoring one is dropped first. Default false. */
    overwrite?: boolean;
    /** pg_restore workers for directory-format sets. Default 2. */
    parallelJobs?: number;
    /** Image of the apply container; its major version must be at least the dump's. Default `postgres:16-alpine`. */
    image?: string;
}

/** Redis restore target: the StatefulSet whose data volume receives the RDB. */
export interface RedisRestoreArgs {
    /** Restore Redis. Default true. */
    enabled?: boolean;
    /** StatefulSet of the Redis master, e.g. `redis-master`. Its ordinal-0 PVC gets the RDB. */
    statefulSet: string;
    /** volumeClaimTemplate holding the data. Default: the StatefulSet's only template, or `redis-data`, or `data`. */
    volumeClaimTemplate?: string;
    /** dbfilename of the server. Default `dump.rdb`. */
    rdbName?: string;
    /** appenddirname of the server. Default `appendonlydir`. */
    aofDir?: string;
    /** Image of the apply container (needs sh, gzip/zstd). Default `redis:7.2-alpine`. */
    image?: string;
    /** UID the apply container runs as, owner of the data files (999 for the official image, 1001 for Bitnami). Default 999. */
    runAsUser?: number;
    /** Seconds to wait for the pods to stop and, after the restore, to become ready again. Default 600. */
    readyTimeoutSeconds?: number;
}

/** A fresh KOTS admin console, installed after the encryption keys are restored. */
export interface KotsInstallArgs {
    /** Path of the license file (read at `pulumi up`, kept as a Pulumi secret). Set this or `license`. */
    licenseFile?: string;
    /** License YAML itself (a secret). Set this or `licenseFile`. */
    license?: pulumi.Input<string>;
    /** Admin console password (a secret). Passed to kots through KOTS_SHARED_PASSWORD, never on its command line. */
    sharedPassword: pulumi.Input<string>;
    /** kots --wait-duration. Default `5m`. */
    waitDuration?: string;
}

/** The KOTS restore: encryption-key Secrets, optionally a fresh install, then the saved configuration. */
export interface KotsRestoreArgs {
    /** Restore KOTS. Default true. */
    enabled?: boolean;
    /** KOTS app slug. Default `gitguardian`. */
    appSlug?: string;
    /** Encryption-key Secrets restored before anything else, in this order. Default `kotsadm-encryption`, `gim-secrets`. */
    secrets?: string[];
    /** Install a fresh admin console (`kots install`). Omit when one is running already. */
    install?: KotsInstallArgs;
    /** Deploy the uploaded configuration (`kots upload --deploy`). Default false. */
    deploy?: boolean;
    /** Skip preflight checks on upload and install. Default false. */
    skipPreflights?: boolean;
    /** New host of the databases, written into the saved ConfigValues before the upload. */
    databaseHostOverride?: string;
    /** ConfigValues items rewritten by databaseHostOverride. Default: those of DATABASE_HOST_ITEMS present in the file. */
    databaseHostItems?: string[];
    /** The kots CLI: `kubectl-kots` or a path. Default `kubectl-kots`. */
    kotsCommand?: string;
    /** Seconds each kots command may run. Default 900. */
    timeoutSeconds?: number;
}

/** Arguments of GitGuardianRestore. */
export interface GitGuardianRestoreArgs {
    /** Namespace of the GitGuardian installation. */
    namespace: string;
    /** Where the sets are. */
    storage: pulumi.Input<RestoreStorageArgs>;
    /** `latest`, an exact id such as `20261127T020000Z`, or `at-or-before:<ISO-8601 time>`. Changing it restores again. */
    backupId: string;
    /** PostgreSQL restore. Omit to skip it. */
    postgres?: PostgresRestoreArgs;
    /** Redis restore. Omit to skip it. */
    redis?: RedisRestoreArgs;
    /** KOTS restore. Omit to skip it. */
    kots?: KotsRestoreArgs;
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
}
