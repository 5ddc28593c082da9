/** The variables the redis scripts read. */
import { v } from "../../core/contract";

export const REDIS_ENV = {
    host: v("GGB_REDIS_HOST", "Redis host"),
    port: v("GGB_REDIS_PORT", "Redis port"),
    user: v("GGB_REDIS_USER", "ACL user (empty: default user)", { optional: true }),
    password: v("REDISCLI_AUTH", "password, read by redis-cli itself", { secret: true, optional: true }),
    tls: v("GGB_REDIS_TLS", "1: connect with TLS (empty: plain TCP)", { optional: true }),
    tlsCa: v("GGB_REDIS_TLS_CA", "PEM CA certificate(s) the server's certificate is verified with (empty: the system CAs)", { secret: true, optional: true }),
    tlsServerName: v("GGB_REDIS_TLS_SERVER_NAME", "name sent as TLS SNI (empty: the host)", { optional: true }),
    dataDir: v("GGB_REDIS_DATA_DIR", "Redis data folder (the mounted data PVC)"),
    rdbName: v("GGB_REDIS_RDB_NAME", "dbfilename of the server (default dump.rdb)", { optional: true }),
    aofDir: v("GGB_REDIS_AOF_DIR", "appenddirname of the server (default appendonlydir)", { optional: true }),
} as const;
