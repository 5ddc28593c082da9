/**
 * The Kubernetes OpenAPI (swagger) schema of the pinned Kubernetes version, taken from the
 * k8s.io/kubernetes Go module (the module proxy is reachable here; the kube-apiserver build
 * downloads the same module), compiled with ajv in strict-fields mode: an unknown field fails
 * as it does under `kubectl apply --validate=strict`.
 */
import Ajv, { ValidateFunction } from "ajv";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** Keep in step with KUBE_VERSION in scripts/tools/build.sh. */
export const KUBERNETES_VERSION = process.env.GGB_KUBE_VERSION ?? "v1.36.3";

function swaggerPath(): string {
    const out = execFileSync("go", ["mod", "download", "-json", `k8s.io/kubernetes@${KUBERNETES_VERSION}`], {
        encoding: "utf8",
        env: { ...process.env, GOFLAGS: "-mod=mod" },
        cwd: fs.mkdtempSync(path.join(require("node:os").tmpdir(), "ggb-swagger-")),
    });
    return path.join(JSON.parse(out).Dir, "api", "openapi-spec", "swagger.json");
}

/** Makes every object definition with declared properties refuse unknown fields. */
function strict(node: any): void {
    if (Array.isArray(node)) return node.forEach(strict);
    if (!node || typeof node !== "object") return;
    if (node.properties && node.additionalProperties === undefined && !node["x-kubernetes-preserve-unknown-fields"]) {
        node.additionalProperties = false;
    }
    for (const [k, v] of Object.entries(node)) if (k !== "example") strict(v);
}

export class KubernetesSchema {
    private readonly ajv: Ajv;
    private readonly byGvk = new Map<string, string>();
    private readonly compiled = new Map<string, ValidateFunction>();

    constructor() {
        const swagger = JSON.parse(fs.readFileSync(swaggerPath(), "utf8"));
        strict(swagger.definitions);
        for (const [name, def] of Object.entries<any>(swagger.definitions)) {
            for (const gvk of def["x-kubernetes-group-version-kind"] ?? []) {
                const apiVersion = gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
                this.byGvk.set(`${apiVersion}/${gvk.kind}`, name);
            }
        }
        this.ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
        this.ajv.addSchema({ definitions: swagger.definitions }, "k8s");
    }

    /** Validation errors of one object (empty when valid). */
    errors(object: { apiVersion: string; kind: string }): string[] {
        const key = `${object.apiVersion}/${object.kind}`;
        const definition = this.byGvk.get(key);
        if (!definition) return [`no schema for ${key}`];
        let validate = this.compiled.get(definition);
        if (!validate) {
            validate = this.ajv.compile({ $ref: `k8s#/definitions/${definition}` });
            this.compiled.set(definition, validate);
        }
        return validate(object) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}${e.params && "additionalProperty" in e.params ? `: ${e.params.additionalProperty}` : ""}`);
    }
}
