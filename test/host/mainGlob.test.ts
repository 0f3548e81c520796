import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, sep } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Activities } from "../../src/activities/catalog";
import { TRIGGERS, type Trigger, type TriggerKind } from "../../src/functions/triggers";
import { expandMainGlob } from "../../src/local/appFunctions/mainGlob";
import { repoRoot } from "../support/samples";

/**
 * The v4 programming model loads functions only from the files package.json `main` matches, and a
 * wrong glob means "no functions, no error" (the worker only logs a warning). This builds the app,
 * expands `main` against the build, loads the matched files as the worker would, with a stand-in for
 * the worker's @azure/functions-core, and checks that every function registers.
 */
const outDir = join(repoRoot, ".test-build");
const tsc = join(repoRoot, "node_modules", "typescript", "bin", "tsc");

/** The worker's expansion of `main` (globby, cwd = the app directory), relative to `base`. */
async function expandMain(pattern: string, base: string): Promise<string[]> {
  return expandMainGlob(pattern, base);
}

/** Loads `files` in order as the worker does, with the strict stand-in core; returns what registered, or the entry-point error. */
interface WorkerRegistration {
  name: string;
  trigger: string;
  authLevel?: string;
  route?: string;
  methods?: string[];
  connection?: string;
  queueName?: string;
}

function loadAsWorker(files: string[]): { registered: WorkerRegistration[] } | { error: string } {
  // The worker wraps any load error as an entry-point error, and on Node 20+ that blocks the app.
  const script = `try { ${files.map((f) => `require(${JSON.stringify(f)});`).join(" ")} } catch (e) { process.stdout.write("\\nENTRYPOINT-ERROR " + e.message + "\\n"); process.exitCode = 1; }`;
  try {
    const out = execFileSync(process.execPath, ["-r", join(__dirname, "fakeFunctionsCore.cjs"), "-e", script], { cwd: repoRoot, encoding: "utf8" });
    return { registered: JSON.parse(out.trim().split("\n").pop()!) };
  } catch (err) {
    const stdout = String((err as { stdout?: unknown }).stdout ?? "");
    const line = stdout.split("\n").find((l) => l.startsWith("ENTRYPOINT-ERROR "));
    return { error: line ? line.slice("ENTRYPOINT-ERROR ".length) : String(err) };
  }
}

beforeAll(() => {
  rmSync(outDir, { recursive: true, force: true });
  execFileSync(process.execPath, [tsc, "-p", join(repoRoot, "tsconfig.json"), "--outDir", outDir, "--sourceMap", "false"], { cwd: repoRoot, stdio: "pipe" });
}, 120_000);
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe("package.json main", () => {
  const main = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")).main as string;

  it("matches the bootstrap and every registration module of the build", async () => {
    const matched = (await expandMain(main.replace(/^dist\//, ""), outDir)).map((f) => f.slice(outDir.length + 1)).sort();
    const functionModules = readdirSync(join(outDir, "src", "functions")).filter((f) => f.endsWith(".js")).map((f) => `src/functions/${f}`);
    expect(matched).toContain("src/index.js");
    expect(matched).toEqual(expect.arrayContaining(functionModules));
    expect(matched.some((f) => f.includes("/local/") || f.includes("/cli/"))).toBe(false);
  });

  it("registers every function when the worker loads those files, with no entry-point error", async () => {
    const loaded = loadAsWorker(await expandMain(main.replace(/^dist\//, ""), outDir));
    if ("error" in loaded) throw new Error(`the worker would not start the app: ${loaded.error}`);
    const { registered } = loaded;
    const byTrigger = (t: string) => registered.filter((r) => r.trigger === t).map((r) => r.name).sort();
    expect(byTrigger("orchestrationTrigger")).toEqual(["deployFlow", "releaseEndpointLock"]);
    expect(byTrigger("activityTrigger")).toEqual(Object.values(Activities).sort());
    expect(byTrigger("httpTrigger")).toEqual(["approveDeploymentHttp", "cancelDeploymentHttp", "getDeploymentHttp", "inventoryHttp", "listDeploymentsHttp", "rejectDeploymentHttp", "releaseLockHttp", "startDeploymentHttp", "statusPageHttp"]);
    // No two HTTP functions answer the same method on the same route (the host matches a route with
    // its methods; parameter names do not tell routes apart, and routes compare ignoring case).
    const routes = registered.filter((r) => r.trigger === "httpTrigger").flatMap((r) => (r.methods ?? ["*"]).map((m) => `${m.toUpperCase()} ${(r.route ?? r.name).toLowerCase().replace(/\{[^}]*\}/g, "{}")}`));
    expect(new Set(routes).size).toBe(routes.length);
    expect(routes.sort()).toEqual(["GET deployments", "GET deployments/{}", "GET inventory", "GET status", "POST deployments", "POST deployments/{}/approve", "POST deployments/{}/cancel", "POST deployments/{}/reject", "POST deployments/{}/release-lock"]);
    // Unique across all kinds, ignoring case (the worker and host rule the stand-in enforces).
    const lower = registered.map((r) => r.name.toLowerCase());
    expect(new Set(lower).size).toBe(lower.length);
    // HTTP routes need a function key (least privilege): never anonymous.
    expect(registered.filter((r) => r.trigger === "httpTrigger").every((r) => r.authLevel === "function")).toBe(true);
    expect(byTrigger("serviceBusTrigger")).toEqual(["deployRequestsQueue"]);
    expect(byTrigger("eventGridTrigger")).toEqual(["bulkTestEvents"]);
    expect(byTrigger("entityTrigger")).toEqual(["endpointLock"]);
  });

  it("registers exactly the wiring table (src/functions/triggers.ts): each entry's name, kind, route, methods, auth level, connection and queue", async () => {
    const loaded = loadAsWorker(await expandMain(main.replace(/^dist\//, ""), outDir));
    if ("error" in loaded) throw new Error(`the worker would not start the app: ${loaded.error}`);
    // The binding type the worker receives for each kind (a kind missing here does not compile).
    const bindingType: Record<TriggerKind, string> = {
      http: "httpTrigger",
      serviceBusQueue: "serviceBusTrigger",
      eventGrid: "eventGridTrigger",
      orchestration: "orchestrationTrigger",
      activity: "activityTrigger",
      entity: "entityTrigger",
    };
    const expected = (t: Trigger) => ({
      name: t.name,
      trigger: bindingType[t.kind],
      ...(t.kind === "http" ? { authLevel: t.authLevel, route: t.route, methods: [...t.methods] } : {}),
      ...(t.kind === "serviceBusQueue" ? { connection: t.connection, queueName: t.queueName } : {}),
    });
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
    expect([...loaded.registered].sort(byName)).toEqual((TRIGGERS as readonly Trigger[]).map(expected).sort(byName));
  });

  it("the Function App's files need only packages in `dependencies` (local stand-ins and CLI tools are devDependencies)", async () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    const seen = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, "utf8");
      for (const [, spec] of text.matchAll(/require\("([^"]+)"\)/g)) {
        if (spec!.startsWith(".")) {
          const target = join(dirname(file), spec!);
          visit(existsSync(`${target}.js`) ? `${target}.js` : join(target, "index.js"));
        } else if (!spec!.startsWith("node:") && !builtinModules.includes(spec!)) {
          packages.add(spec!.startsWith("@") ? spec!.split("/").slice(0, 2).join("/") : spec!.split("/")[0]!);
        }
      }
    };
    for (const file of await expandMain(main.replace(/^dist\//, ""), outDir)) visit(file);
    expect([...seen].some((f) => f.includes(`${sep}local${sep}`) || f.includes(`${sep}cli${sep}`))).toBe(false);
    expect([...packages].filter((p) => !(p in pkg.dependencies))).toEqual([]);
    for (const devOnly of ["rhea", "selfsigned", "tsx", "commander", "globby", "playwright-core"]) {
      expect(pkg.dependencies, devOnly).not.toHaveProperty(devOnly);
      expect(packages.has(devOnly), devOnly).toBe(false);
    }
  });

  it("the stand-in worker refuses what the real one refuses: a duplicate name (any case) blocks the app", () => {
    const dir = join(outDir, "dup-fixture");
    mkdirSync(dir, { recursive: true });
    const dfPath = JSON.stringify(require.resolve("durable-functions"));
    writeFileSync(join(dir, "a.js"), `const df = require(${dfPath}); df.app.activity("startDeployment", { handler: async () => 1 });`);
    writeFileSync(join(dir, "b.js"), `const df = require(${dfPath}); df.app.client.http("startDeployment", { route: "x", handler: async () => ({}) });`);
    writeFileSync(join(dir, "c.js"), `const df = require(${dfPath}); df.app.client.http("StartDeployment", { route: "y", handler: async () => ({}) });`);
    expect(loadAsWorker([join(dir, "a.js"), join(dir, "b.js")])).toEqual({ error: 'A function with id "startDeployment" has already been registered.' });
    expect(loadAsWorker([join(dir, "a.js"), join(dir, "c.js")])).toEqual({ error: expect.stringContaining("differs only in case") });
    expect(loadAsWorker([join(dir, "a.js")])).toEqual({ registered: [expect.objectContaining({ name: "startDeployment" })] });
  });
});
