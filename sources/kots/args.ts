/**
 * The public arguments of the KOTS part, backup and restore. They follow the component-provider
 * rules (interfaces only, string choices as `as const` enums) so that the schema inferred from
 * them gives every Pulumi language the same API; GitGuardianBackupPolicyArgs and
 * GitGuardianRestoreArgs name them.
 */
import * as pulumi from "@pulumi/pulumi";

/** The KOTS configuration backup: `kots download --current` plus the encryption-key Secrets. */
export interface KotsBackup {
    /** Run this backup. Default true. */
    enabled?: boolean;
    /** Cron schedule overriding the policy's. */
    schedule?: string;
    /** KOTS app slug. Default `gitguardian` (older installs: `gitguardian-seal`). */
    appSlug?: string;
    /** The kotsadm image matching the installed KOTS version, e.g. `kotsadm/kotsadm:v1.124.0` (it carries /kots and kubectl). */
    image: string;
    /** Secrets a restore needs, exported with the configuration. Default `gim-secrets` (Django key) and `kotsadm-encryption` (KOTS config key). */
    secrets?: string[];
    /**
     * Keys a restore drill requires in the exported Secrets, each `SECRET/KEY` (the Secret one of
     * `secrets`): present, with a value that decodes. Default `kotsadm-encryption/encryptionKey`
     * (the key of the ConfigValues cipher). Add the keys of `gim-secrets` your version holds
     * (its Django secret key and field-encryption keys). Every exported Secret must parse in any case.
     */
    drillKeys?: string[];
}

/** A fresh KOTS admin console, installed after the encryption keys are restored. */
export interface KotsInstall {
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
export interface KotsRestore {
    /** Restore KOTS. Default true. */
    enabled?: boolean;
    /** KOTS app slug. Default `gitguardian`. */
    appSlug?: string;
    /** Encryption-key Secrets restored before anything else, in this order. Default `kotsadm-encryption`, `gim-secrets`. */
    secrets?: string[];
    /**
     * Replace live encryption-key Secrets whose data differs from the set's (each is kept as `<name>.before-restore-<time>`): the id of the one set this overwrite is for (e.g.
     * `20261127T020101Z`, as the preview's plan names it). A restore that chooses another set
     * (a later replace, a new trigger, `latest` moving on) is refused, so the flag left in a
     * program never overwrites again unasked. Default: a non-empty target is refused.
     */
    overwrite?: string;
    /** Install a fresh admin console (`kots install`). Omit when one is running already. */
    install?: KotsInstall;
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
