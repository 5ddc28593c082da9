/** Argument types shared by every part, backup and restore. */
/** A key of a Kubernetes Secret in the backup namespace. */
export interface SecretKeyRef {
    /** Secret name. */
    name: string;
    /** Key inside the Secret. */
    key: string;
}
