/** Argument types shared by every part, backup and restore. */
/** A key of a Kubernetes Secret in the backup namespace. */
export interface SecretKeyRef {
    /** Secret name. */
    name: string;
    /** Key inside the Secret. */
    key: string;
}

/** A Kubernetes Secret with static S3 credentials. */
export interface S3CredentialsSecret {
    /** Secret name, in the namespace of the backups (of the restore, for GitGuardianRestore). */
    name: string;
    /** Key of the access key id. Default `AWS_ACCESS_KEY_ID`. */
    accessKeyIdKey?: string;
    /** Key of the secret access key. Default `AWS_SECRET_ACCESS_KEY`. */
    secretAccessKeyKey?: string;
}
