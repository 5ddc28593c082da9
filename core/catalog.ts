/**
 * Catalog: what a bucket holds, read with the AWS SDK (any S3-compatible endpoint). Lists the
 * BackupSets of a component and reads their manifests; shared by the restore planner and the
 * demo's report.
 */
import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { BackupSet, groupSets } from "./backupSet";
import { Component } from "./contract";
import { Manifest, manifestKey, parseManifest } from "./manifest";

export interface S3Location {
    bucketName: string;
    prefix: string;
    region?: string;
    /** S3-compatible endpoint; empty or undefined for AWS. */
    endpoint?: string;
    credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** An S3 client for a location (path-style addressing for S3-compatible endpoints). */
export function s3Client(location: S3Location): S3Client {
    return new S3Client({
        region: location.region || "us-east-1",
        ...(location.endpoint ? { endpoint: location.endpoint, forcePathStyle: true } : {}),
        ...(location.credentials ? { credentials: location.credentials } : {}),
    });
}

/** Every key under `<prefix>/<component>/`. */
export async function listKeys(s3: S3Client, location: S3Location, component: Component): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
        const page = await s3.send(
            new ListObjectsV2Command({ Bucket: location.bucketName, Prefix: `${location.prefix}/${component}/`, ContinuationToken: token }),
        );
        for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
}

/** The sets of a component, oldest first; incomplete ones included and marked. */
export async function listSets(s3: S3Client, location: S3Location, component: Component): Promise<BackupSet[]> {
    return groupSets(location.prefix, component, await listKeys(s3, location, component));
}

/** The parsed manifest of a set. */
export async function readManifest(s3: S3Client, location: S3Location, component: Component, backupId: string): Promise<Manifest> {
    const key = manifestKey(location.prefix, component, backupId);
    const object = await s3.send(new GetObjectCommand({ Bucket: location.bucketName, Key: key }));
    const manifest = parseManifest(await object.Body!.transformToString("utf8"));
    if (manifest.component !== component || manifest.backupId !== backupId) {
        throw new Error(`manifest ${key} describes ${manifest.component}/${manifest.backupId}, not ${component}/${backupId}`);
    }
    return manifest;
}
