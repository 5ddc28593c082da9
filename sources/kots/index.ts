/**
 * The kots part: the deployed version's configuration (`kots download --current`) and the
 * encryption-key Secrets without which a restored database and configuration cannot be read.
 * Restored in the provider: the Secrets, a fresh admin console when asked, then `kots upload`.
 */
import * as path from "node:path";
import { packageRoot } from "../../core/paths";
import { definePart } from "../part";
import { kotsDrillEnv, kotsDumpEnv, kotsRoleRules, resolveKotsBackup } from "./backup";
import { KOTS_ENV } from "./env";
import { resolveKotsRestore } from "./restore";
import { kotsInstallPreflight, kotsInstallStep } from "./restoreInstall";
import { kotsSecretsPreflight, kotsSecretsStep } from "./restoreSecrets";
import { kotsUploadStep } from "./restoreUpload";

export const kotsPart = definePart({
    name: "kots",
    title: "KOTS: the deployed configuration (kots download --current) and the encryption-key Secrets",
    scriptsDir: path.join(packageRoot(), "sources", "kots"),
    dumpScript: "dump-kots.sh",
    restoreScripts: [],
    artifacts: ["kots-app.tar", "kots-secrets.tar"],
    env: KOTS_ENV,
    // The kotsadm image's user.
    runAsUser: 1001,
    requiredBySchedulePolicy: true,
    recognise: { command: /\bkots\b[^;&|]*\sdownload\b/, handWritten: "kots download", enableArg: '`kots: { image: "kotsadm/kotsadm:<version>" }`' },
    backup: { resolve: resolveKotsBackup, env: kotsDumpEnv, roleRules: kotsRoleRules },
    // The kotsadm image unpacks what its kots made (busybox tar, awk, base64); nothing is applied.
    drill: { script: "drill-kots.sh", image: (spec) => spec.image, env: kotsDrillEnv },
    restore: { resolve: resolveKotsRestore, steps: [kotsSecretsStep, kotsInstallStep, kotsUploadStep], preflight: async (ctx) => [...(await kotsInstallPreflight(ctx)), ...(await kotsSecretsPreflight(ctx))] },
});
