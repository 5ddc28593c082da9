/**
 * The README's table of backed-up parts, made from the registry (a unit test keeps the README's
 * copy equal to it, so the docs cannot miss a part or keep a stale one).
 */
import { backupParts } from "./registry";

export function partsTable(): string {
    const rows = backupParts().map((p) => {
        const restore = p.restore ? p.restore.steps.map((s) => `\`${s.name}\``).join(", ") : "none";
        const env = Object.values(p.env).map((e) => `\`${e.name}\``).join(", ");
        return `| \`${p.name}\` | ${p.title} | \`${p.dumpScript}\`${[...p.restoreScripts, ...(p.drill ? [p.drill.script] : [])].map((s) => `, \`${s}\``).join("")} | ${p.artifacts.join("; ")} | ${env} | ${p.defaultImage ? `\`${p.defaultImage}\`` : "(required)"}, uid ${p.runAsUser} | ${restore} | ${p.requiredBySchedulePolicy ? "yes" : "no"} |`;
    });
    return [
        "| Part | What | Scripts | Artifacts | Variables | Image, user | Restore steps | Required by the schedule policy |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        ...rows,
    ].join("\n");
}
