/**
 * The public arguments of client-side encryption: GitGuardianBackupPolicyArgs.encryption (public
 * keys only) and the decryption key of a restore or a drill. They follow the component-provider
 * rules (interfaces only) so that every Pulumi language gets the same API.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { SecretKeyRef } from "../core/args";

/**
 * Every artifact encrypted with age in the backup pod, before it leaves it, to age X25519
 * recipients (public keys): the cluster, and whoever takes a backup pod's credentials, can write
 * sets but not read them. The private key never enters the backup side.
 */
export interface BackupEncryption {
    /** age X25519 recipients (`age1…`, as `age-keygen -y` prints them); every artifact is encrypted to all of them. Set this or recipientsSecret. */
    recipients?: string[];
    /** A Secret key in the backup namespace holding the recipients, one a line. Set this or recipients. */
    recipientsSecret?: SecretKeyRef;
    /**
     * An image holding `cp` and a statically linked `age` (as age's release binaries and
     * `CGO_ENABLED=0 go install filippo.io/age/cmd/...@v1.3.2` build it), which an init container
     * copies into the pod: none of the stock job images has age. Mirror it with the app's images
     * for a cluster without egress. Required: there is no default.
     */
    toolImage: string;
    /** Path of the age binary in toolImage. Default `/usr/local/bin/age`. */
    agePath?: string;
}

/** The age identity (private key) that decrypts encrypted sets, for a restore. */
export interface RestoreDecryption {
    /**
     * A Secret key in the restore namespace holding the age identity (`AGE-SECRET-KEY-1…`, as
     * `age-keygen` writes it). The restore Jobs' fetch containers mount it (and nothing else
     * does); the provider reads it to check the key at the plan step and to decrypt the KOTS
     * artifacts.
     */
    identitySecret?: SecretKeyRef;
    /**
     * The identity itself, as a Pulumi secret: the provider uses it for the plan step's check
     * and the KOTS artifacts only. The restore Jobs (postgres, redis) read only identitySecret.
     */
    identity?: pulumi.Input<string>;
    /** Image with `cp` and a statically linked `age` for the restore Jobs (see BackupEncryption.toolImage). Required when an encrypted set is restored by a Job. */
    toolImage?: string;
    /** Path of the age binary in toolImage. Default `/usr/local/bin/age`. */
    agePath?: string;
}

/** The age identity of a restore drill: a Secret, as the drill runs on its own schedule in the cluster. */
export interface DrillDecryption {
    /**
     * A Secret key in the backup namespace holding an age identity that is one of the
     * recipients. The drill's fetch container alone mounts it. Give the drill a recipient of its
     * own, so that it can be revoked (removed from the recipients) without touching the others.
     */
    identitySecret: SecretKeyRef;
}
