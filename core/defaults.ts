/**
 * Defaults both resources share (a restore reads what a backup wrote, with the same images and
 * layout), so restore code does not import the backup component's.
 */
export const SHARED_DEFAULTS = {
    prefix: "gitguardian",
    region: "us-east-1",
    /** Image of the S3 steps: the upload (backup) and the fetch (restore). */
    uploaderImage: "amazon/aws-cli:2.22.35",
    stagingSize: "20Gi",
    /** Seconds a backup or restore Job may run (activeDeadlineSeconds). */
    activeDeadlineSeconds: 14_400,
} as const;
