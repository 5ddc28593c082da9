/**
 * What encryption adds to a pod: an init container that copies age from the tool image into an
 * emptyDir (none of the stock job images has age), the env and mount of the container that
 * encrypts (the upload step) or decrypts (a fetch step), and the identity's Secret volume, which
 * only the fetch container mounts.
 */
import { ENCRYPTION_ENV, MOUNT } from "../core/contract";
import { containerSecurity, envSecret, envValue, EnvVar, UPLOADER_UID } from "../core/pod";

/** The emptyDir the tool is copied into (a static age is some 5 MB). */
export const TOOLS_VOLUME = { name: "ggb-tools", emptyDir: { sizeLimit: "64Mi" } } as const;
/** Where the copied age is, in every container that mounts the tools. */
export const AGE_IN_POD = `${MOUNT.tools}/age`;
const IDENTITY_VOLUME = "ggb-identity";
const IDENTITY_FILE = "identity";

/** The init container that copies age from `toolImage` (it needs only cp there). */
export function toolCopyContainer(tool: { toolImage: string; agePath: string }) {
    return {
        name: "encryption-tool",
        image: tool.toolImage,
        command: ["cp", tool.agePath, AGE_IN_POD],
        volumeMounts: [{ name: TOOLS_VOLUME.name, mountPath: MOUNT.tools }],
        resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "500m", memory: "64Mi" } },
        securityContext: containerSecurity(UPLOADER_UID),
        terminationMessagePolicy: "FallbackToLogsOnError",
    };
}

/** The tools' mount in the container that runs age (read-only: nothing there is written after the copy). */
export const TOOLS_MOUNT = { name: TOOLS_VOLUME.name, mountPath: MOUNT.tools, readOnly: true } as const;

/** Env of the upload step that encrypts: the recipients (a value or a secretKeyRef) and the copied age. */
export function encryptEnv(e: { recipients?: string[]; recipientsSecret?: { name: string; key: string } }): EnvVar[] {
    return [
        e.recipientsSecret ? envSecret(ENCRYPTION_ENV.recipients.name, e.recipientsSecret) : envValue(ENCRYPTION_ENV.recipients.name, e.recipients!.join("\n")),
        envValue(ENCRYPTION_ENV.ageBin.name, AGE_IN_POD),
    ];
}

/** The identity's Secret as a volume: one file, readable by the pod's group only. */
export function identityVolume(secret: { name: string; key: string }) {
    return { name: IDENTITY_VOLUME, secret: { secretName: secret.name, items: [{ key: secret.key, path: IDENTITY_FILE }], defaultMode: 0o440 } };
}

/** The fetch container's share of decryption: its env, and the mounts of the tools and the identity. */
export function decryptMounts() {
    return [TOOLS_MOUNT, { name: IDENTITY_VOLUME, mountPath: MOUNT.identity, readOnly: true }];
}
export function decryptEnv(): EnvVar[] {
    return [envValue(ENCRYPTION_ENV.ageBin.name, AGE_IN_POD), envValue(ENCRYPTION_ENV.identityFile.name, `${MOUNT.identity}/${IDENTITY_FILE}`)];
}
