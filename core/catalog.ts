/**
 * Catalog: what a bucket holds. Lists the BackupSets of a part and reads their manifests through
 * the one S3 read path (core/objectStore.ts); used by the demo's report and the engine tests.
 */
import { BackupSet, groupSets } from "./backupSet";
import { Component } from "./contract";
import { Manifest, manifestKey, parseManifest } from "./manifest";
import { ObjectStore } from "./objectStore";

/** The sets of a part, oldest first; incomplete ones included and marked. */
export async function listSets(store: ObjectStore, prefix: string, component: Component): Promise<BackupSet[]> {
    const keys = (await store.list(`${prefix}/${component}/`)).map((o) => o.key);
    return groupSets(prefix, component, keys);
}

/** The parsed manifest of a set, refused when it describes another set. */
export async function readManifest(store: ObjectStore, prefix: string, component: Component, backupId: string): Promise<Manifest> {
    const key = manifestKey(prefix, component, backupId);
    const manifest = parseManifest((await store.get(key)).toString("utf8"), [component]);
    if (manifest.backupId !== backupId) throw new Error(`manifest ${key} describes ${manifest.component}/${manifest.backupId}, not ${component}/${backupId}`);
    return manifest;
}
