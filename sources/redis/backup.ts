/** The redis backup: its validated section and the env of its dump container. */
import type { BackupEnvContext, BackupResolveContext, PartBackupSpec } from "../part";
import { envSecret, envValue } from "../../core/pod";
import { REDIS_ENV } from "./env";

export const REDIS_DEFAULTS = { image: "redis:7.2-alpine", port: 6379 } as const;

export interface RedisSpec extends PartBackupSpec {
    component: "redis";
    host: string;
    port: number;
    user?: string;
    passwordSecret?: { name: string; key: string };
    tls?: { caSecret?: { name: string; key: string }; serverName?: string };
}

export function resolveRedisBackup(r: Record<string, unknown>, { f, schedule }: BackupResolveContext): RedisSpec {
    return {
        component: "redis",
        schedule: schedule("redis.schedule", r.schedule),
        image: f.image("redis.image", r.image, REDIS_DEFAULTS.image),
        host: f.host("redis.host", r.host),
        port: f.port("redis.port", r.port, REDIS_DEFAULTS.port),
        user: r.user === undefined ? undefined : f.text("redis.user", r.user, /^[A-Za-z0-9_.-]+$/, "allowed: a Redis ACL user name (letters, digits, '_', '.', '-')", 128),
        passwordSecret: r.passwordSecret === undefined ? undefined : f.secretRef("redis.passwordSecret", r.passwordSecret),
        tls: resolveTls(r.tls, f),
    };
}

function resolveTls(value: unknown, f: BackupResolveContext["f"]): RedisSpec["tls"] {
    if (value === undefined) return undefined;
    const t = f.object("redis.tls", value, "allowed: an object with enabled, caSecret, serverName");
    const unknownKeys = Object.keys(t).filter((k) => !["enabled", "caSecret", "serverName"].includes(k));
    if (unknownKeys.length) f.bad(`redis.tls.${unknownKeys[0]}`, t[unknownKeys[0]], "allowed keys: enabled, caSecret, serverName");
    if (!f.bool("redis.tls.enabled", t.enabled, true)) return undefined;
    return {
        caSecret: t.caSecret === undefined ? undefined : f.secretRef("redis.tls.caSecret", t.caSecret),
        serverName: t.serverName === undefined ? undefined : f.host("redis.tls.serverName", t.serverName),
    };
}

export function redisDumpEnv(c: RedisSpec, _ctx: BackupEnvContext) {
    return [
        envValue(REDIS_ENV.host.name, c.host),
        envValue(REDIS_ENV.port.name, String(c.port)),
        ...(c.user ? [envValue(REDIS_ENV.user.name, c.user)] : []),
        ...(c.passwordSecret ? [envSecret(REDIS_ENV.password.name, c.passwordSecret)] : []),
        ...(c.tls ? [envValue(REDIS_ENV.tls.name, "1")] : []),
        ...(c.tls?.caSecret ? [envSecret(REDIS_ENV.tlsCa.name, c.tls.caSecret)] : []),
        ...(c.tls?.serverName ? [envValue(REDIS_ENV.tlsServerName.name, c.tls.serverName)] : []),
    ];
}
