import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderSchema, schemaFiles } from "../../scripts/schemaFiles";
import { repoRoot } from "../support/samples";

describe("committed JSON Schemas", () => {
  it.each(schemaFiles().map((f) => [f.file, f] as const))("schemas/%s matches the zod contract (run `npm run schemas` if not)", (_file, { file, schema }) => {
    const committed = readFileSync(join(repoRoot, "schemas", file), "utf8");
    expect(committed).toBe(renderSchema(schema));
  });

  it("carry the required fields a producer in another language must send", () => {
    const request = schemaFiles().find((f) => f.file === "deploy-request.schema.json")!.schema as { required: string[]; properties: Record<string, unknown> };
    expect(request.required).toEqual(expect.arrayContaining(["schemaVersion", "requestId", "workspace", "endpoint", "deployment", "smokeTest"]));
    expect(request.required).not.toContain("rollout");
    expect(Object.keys(request.properties)).toEqual(expect.arrayContaining(["flow", "model", "propagationMinutes"]));
  });
});
