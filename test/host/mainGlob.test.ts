import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Activities } from "../../src/activities/catalog";
import { repoRoot } from "../support/samples";

/**
 * The v4 programming model loads functions only from the files package.json `main` matches, and a
 * wrong glob means "no functions, no error" (the worker only logs a warning). This builds the app,
 * expands `main` against the build, loads the matched files as the worker would, with a stand-in for
 * the worker's @azure/functions-core, and checks that every function registers.
 */
const outDir = join(repoRoot, ".test-build");
const tsc = join(repoRoot, "node_modules", "typescript", "bin", "tsc");

/** Expands a `dir/{a.js,sub/*.js}` pattern (the shape `main` uses) against the file system. */
function expandMain(pattern: string, base: string): string[] {
  const brace = /^(.*)\{([^}]*)\}(.*)$/.exec(pattern);
  const alternatives = brace ? brace[2]!.split(",").map((alt) => `${brace[1]}${alt}${brace[3]}`) : [pattern];
  return alternatives.flatMap((alt) => {
    const slash = alt.lastIndexOf("/");
    const dir = join(base, alt.slice(0, slash));
    const name = new RegExp(`^${alt.slice(slash + 1).replace(/\./g, "\\.").replace(/\*/g, "[^/]*")}$`);
    return existsSync(dir) ? readdirSync(dir).filter((f) => name.test(f)).map((f) => join(dir, f)) : [];
  });
}

beforeAll(() => {
  rmSync(outDir, { recursive: true, force: true });
  execFileSync(process.execPath, [tsc, "-p", join(repoRoot, "tsconfig.json"), "--outDir", outDir, "--sourceMap", "false"], { cwd: repoRoot, stdio: "pipe" });
}, 120_000);
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe("package.json main", () => {
  const main = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")).main as string;

  it("matches the bootstrap and every registration module of the build", () => {
    const matched = expandMain(main.replace(/^dist\//, ""), outDir).map((f) => f.slice(outDir.length + 1)).sort();
    const functionModules = readdirSync(join(outDir, "src", "functions")).filter((f) => f.endsWith(".js")).map((f) => `src/functions/${f}`);
    expect(matched).toContain("src/index.js");
    expect(matched).toEqual(expect.arrayContaining(functionModules));
    expect(matched.some((f) => f.includes("/local/") || f.includes("/cli/"))).toBe(false);
  });

  it("registers every function when the worker loads those files", () => {
    const files = expandMain(main.replace(/^dist\//, ""), outDir);
    const script = files.map((f) => `require(${JSON.stringify(f)});`).join("\n");
    const out = execFileSync(process.execPath, ["-r", join(__dirname, "fakeFunctionsCore.cjs"), "-e", script], { cwd: repoRoot, encoding: "utf8" });
    const registered = JSON.parse(out.trim().split("\n").pop()!) as { name: string; trigger: string; authLevel?: string }[];
    const byTrigger = (t: string) => registered.filter((r) => r.trigger === t).map((r) => r.name).sort();
    expect(byTrigger("orchestrationTrigger")).toEqual(["deployFlow"]);
    expect(byTrigger("activityTrigger")).toEqual(Object.values(Activities).sort());
    expect(byTrigger("httpTrigger")).toEqual(["getDeployment", "startDeployment"]);
    // HTTP routes need a function key (least privilege): never anonymous.
    expect(registered.filter((r) => r.trigger === "httpTrigger").every((r) => r.authLevel === "function")).toBe(true);
    expect(byTrigger("serviceBusTrigger")).toEqual(["deployRequestsQueue"]);
    expect(byTrigger("eventGridTrigger")).toEqual(["bulkTestEvents"]);
    expect(byTrigger("entityTrigger")).toEqual(["endpointLock"]);
  });
});
