/**
 * The first step of every restore: choose the set of each part (complete sets only, selector
 * semantics of core/backupSet.ts) and check every artifact against its manifest (size, and
 * sha256 unless verify = "size"). Nothing is changed before this step has passed.
 */
import { describeSets, resolveSets, ResolvedSet, setsApartProblem, setSpreadHours, verifyChecksums } from "./resolve";
import { quantityBytes } from "../core/fields";
import { partNamed } from "../sources/registry";
import { missingAccessReason, restoreAccessChecks } from "./permissions";
import type { RestoreStep } from "./step";
import { decryptionProblems } from "../encryption/age";

/** Step 1: resolve and verify. */
export const planStep: RestoreStep = {
    name: "plan",
    title: "resolve the set of each component and verify every artifact against its manifest",
    applies: () => true,
    async run(ctx) {
        const store = await ctx.store();
        const sets = new Map<string, ResolvedSet>();
        const problems: string[] = [];
        for (const c of ctx.spec.components) {
            const id = ctx.resumeIds?.[c];
            const selector = id ? ({ kind: "exact", backupId: id } as const) : ctx.spec.selector;
            try {
                const one = await resolveSets(store, ctx.spec.storage.prefix, [c], selector);
                sets.set(c, one.get(c)!);
            } catch (e) {
                problems.push((e as Error).message);
            }
        }
        // An overwrite is for one set: refused, before anything changes, when the run chose another.
        for (const [c, set] of sets) {
            const meant = ctx.spec.overwrite[c];
            if (meant !== undefined && meant !== set.backupId) {
                problems.push(`${c}.overwrite is for set ${meant}, but this restore chose ${c} set ${set.backupId}: nothing was changed; to overwrite with ${set.backupId}, set ${c}.overwrite to "${set.backupId}"`);
            }
        }
        // One run's sets, unless the caller says the parts are meant from different runs.
        if (!ctx.spec.allowSetsApart) {
            const apart = setsApartProblem([...sets.values()], ctx.spec.setWindowHours);
            if (apart) problems.push(apart);
        }
        // Every permission of the chosen steps, and room for the largest set on the staging volume.
        problems.push(...missingAccessReason(await ctx.executor.deniedAccess(restoreAccessChecks(ctx.spec))));
        const room = quantityBytes(ctx.spec.stagingSize);
        for (const [c, set] of sets) {
            if (partNamed(c)?.restoreScripts.length && set.bytes > room) {
                problems.push(`${c} set ${set.backupId} is ${set.bytes} bytes, more than stagingSize ${ctx.spec.stagingSize} (${room} bytes): its restore Job downloads it whole onto the staging volume; raise stagingSize`);
            }
        }
        // An encrypted set needs an identity that is one of its recipients, found before any change.
        problems.push(...(await decryptionProblems(ctx, sets)));
        if (problems.length) throw new Error(problems.join("; "));
        for (const [c, s] of sets) ctx.sets.set(c, s);
        for (const c of ctx.spec.components) problems.push(...((await partNamed(c)?.restore?.preflight?.(ctx)) ?? []));
        if (problems.length) throw new Error(problems.join("; "));
        let verified = 0;
        let bytes = 0;
        for (const set of sets.values()) {
            bytes += set.bytes;
            if (ctx.spec.verify === "checksum" && !ctx.planVerifiedBefore) {
                set.checksumsVerified = await verifyChecksums(store, set, ctx.progress);
                verified += set.checksumsVerified;
            }
        }
        const ids = `${describeSets(sets.values())}; started within ${setSpreadHours(sets.values()).toFixed(1)} h`;
        const how = ctx.planVerifiedBefore ? "checksums verified earlier in this run" : ctx.spec.verify === "checksum" ? `${verified} sha256 checksums verified` : "sizes verified";
        return { bytes, detail: `${ids}; ${how}` };
    },
};
