/**
 * The public arguments of the Redis part, backup and restore. They follow the component-provider
 * rules (interfaces only, string choices as `as const` enums) so that the schema inferred from
 * them gives every Pulumi language the same API; GitGuardianBackupPolicyArgs and
 * GitGuardianRestoreArgs name them.
 */
import { SecretKeyRef } from "../../core/args";

/**
 * TLS to Redis: in-transit encryption (ElastiCache or Memorystore with it on, a server with
 * `tls-port`). The server's certificate must be signed by the CA given (or a system CA);
 * redis-cli does not check the name in it, so give a CA of your own where you can.
 */
export interface RedisTls {
    /** Connect with TLS. Default true once `tls` is given. */
    enabled?: boolean;
    /**
     * PEM certificate(s) of the CA that signed the server's certificate, from a Secret key (for
     * example cert-manager's `ca.crt`). Default: the image's system CAs (what ElastiCache needs).
     */
    caSecret?: SecretKeyRef;
    /** Name sent as TLS SNI (a server with several certificates picks one by it). Default: `host`. */
    serverName?: string;
}

/** The Redis backup: an RDB snapshot over the replication protocol. */
export interface RedisBackup {
    /** Run this backup. Default true. */
    enabled?: boolean;
    /** Cron schedule overriding the policy's. */
    schedule?: string;
    /** Host name of the Redis master. */
    host: string;
    /** Port. Default 6379. */
    port?: number;
    /** ACL user (needs +sync and +info). Default: the default user. */
    user?: string;
    /** Password. Default: none. */
    passwordSecret?: SecretKeyRef;
    /** TLS to the server. Default: none (plain TCP, as the Redis GitGuardian bundles serves). */
    tls?: RedisTls;
    /** Image with redis-cli (built with TLS when `tls` is used; the official image is). Default `redis:7.2-alpine`. */
    image?: string;
}

/** Redis restore target: the StatefulSet whose data volume receives the RDB. */
export interface RedisRestore {
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
    /**
     * Restore over data the server would load (keys in its RDB or AOF base, commands in an AOF
     * increment; kept beside as `*.before-restore-<time>`): the id of the one set this overwrite
     * is for (e.g. `20261127T020202Z`). A restore that chooses another set is refused. Default:
     * a target holding data is refused; a fresh server's empty files are not data.
     */
    overwrite?: string;
}
