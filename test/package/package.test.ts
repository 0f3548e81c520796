import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ignore from "ignore";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importsOf, loadFromPackage, trimPackageJson, walkApp, type PackageJson } from "../../scripts/package";
import { repoRoot } from "../support/samples";

/**
 * `npm run package` (scripts/package.ts) builds the folder that is deployed to the Function App. It
 * runs here once, into a temporary directory (the working tree's .azure-package/ is left alone), and
 * the folder is checked: what the host loads is there, development-only code and packages are not.
 */

/**
 * Upper bound of the whole folder in bytes (file sizes, summed). Measured 2026-12-02: 75.4 MB
 * (node_modules 75.1 MB, 146 packages; dist 0.3 MB, 75 files). Measured 2026-12-03: 156.3 MB after
 * issue 18's tracing: the Azure Monitor OpenTelemetry distro brings the OpenTelemetry Node SDK with
 * its OTLP exporters (gRPC, protobuf), metrics and logs SDKs and instrumentations, ~81 MB the issue
 * asked for (docs/tracing.md). The bound is about 25% above. A new production dependency that
 * crosses it should be a decision: raise the bound with the new measurement.
 */
const MAX_PACKAGE_BYTES = 195_000_000;

interface Summary {
  out: string;
  distFiles: number;
  functions: number;
  distBytes: number;
  nodeModulesBytes: number;
  totalBytes: number;
}

interface LockEntry {
  dev?: boolean;
  optional?: boolean;
  devOptional?: boolean;
}

const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as PackageJson;
const lock = JSON.parse(readFileSync(join(repoRoot, "package-lock.json"), "utf8")) as { packages: Record<string, LockEntry> };
const work = mkdtempSync(join(tmpdir(), "flowdeploy-package-test-"));
const out = join(work, "app");
let summary: Summary;

beforeAll(() => {
  const run = spawnSync(process.execPath, ["--import", "tsx", join(repoRoot, "scripts", "package.ts"), "--out", out], { cwd: repoRoot, encoding: "utf8" });
  if (run.status !== 0) throw new Error(`npm run package failed (exit ${run.status}):\n${run.stderr}\n${run.stdout}`);
  summary = JSON.parse(run.stdout.trim().split("\n").pop()!) as Summary;
}, 240_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Every installed package of a node_modules tree, as its lockfile key (node_modules/a/node_modules/b). */
function installedPackages(root: string, prefix = "node_modules"): string[] {
  const dir = join(root, prefix);
  if (!existsSync(dir)) return [];
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith(".")) continue;
    const names = entry.name.startsWith("@") ? readdirSync(join(dir, entry.name)).map((n) => `${entry.name}/${n}`) : [entry.name];
    for (const name of names) {
      const key = `${prefix}/${name}`;
      found.push(key, ...installedPackages(root, `${key}/node_modules`));
    }
  }
  return found;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1).split("\\").join("/"));
}

describe("npm run package", () => {
  it("writes host.json, a trimmed package.json and the compiled entry points", () => {
    expect(readFileSync(join(out, "host.json"), "utf8")).toBe(readFileSync(join(repoRoot, "host.json"), "utf8"));
    const packaged = JSON.parse(readFileSync(join(out, "package.json"), "utf8")) as PackageJson;
    expect(packaged).toEqual(trimPackageJson(pkg));
    for (const key of ["devDependencies", "bin", "scripts", "exports"]) expect(packaged, key).not.toHaveProperty(key);
    expect(packaged.main).toBe(pkg.main);
    expect(packaged.dependencies).toEqual(pkg.dependencies);
    expect(existsSync(join(out, "dist", "src", "index.js"))).toBe(true);
    const functionSources = readdirSync(join(repoRoot, "src", "functions")).filter((f) => f.endsWith(".ts"));
    expect(functionSources.length).toBeGreaterThan(0);
    for (const source of functionSources) expect(existsSync(join(out, "dist", "src", "functions", source.replace(/\.ts$/, ".js"))), source).toBe(true);
    expect(summary.functions).toBeGreaterThan(0);
  });

  it("carries no development-only code: no src/local, src/cli, tests, benchmarks, scripts, sources or maps", () => {
    expect(readdirSync(out).sort()).toEqual(["dist", "host.json", "node_modules", "package.json"]);
    expect(readdirSync(join(out, "dist")).sort()).toEqual(["orchestrations", "src"]);
    for (const dir of ["src/local", "src/cli", "test", "bench", "scripts"]) expect(existsSync(join(out, "dist", dir)), dir).toBe(false);
    const files = filesUnder(join(out, "dist"));
    expect(files.length).toBe(summary.distFiles);
    expect(files.filter((f) => !f.endsWith(".js"))).toEqual([]);
  });

  it("node_modules holds the production tree of package-lock.json and nothing of the dev tree", () => {
    const installed = installedPackages(out);
    const unknown = installed.filter((key) => !(key in lock.packages));
    const devOnly = installed.filter((key) => lock.packages[key]?.dev === true);
    expect(unknown, "installed packages the lockfile does not know").toEqual([]);
    expect(devOnly, "dev-only packages in the Function App").toEqual([]);
    const missing = Object.entries(lock.packages).filter(([key, e]) => key.startsWith("node_modules/") && !e.dev && !e.optional && !e.devOptional && !installed.includes(key));
    expect(missing.map(([key]) => key), "production packages missing").toEqual([]);
  });

  it("no devDependency is installed unless production code needs it too (then the lockfile marks it production)", () => {
    const devDependencies = Object.keys(pkg.devDependencies ?? {});
    expect(devDependencies).toEqual(expect.arrayContaining(["vitest", "typescript", "eslint", "tsx", "selfsigned", "commander", "ajv"]));
    const installed = new Set(installedPackages(out));
    for (const name of devDependencies) {
      const key = `node_modules/${name}`;
      if (lock.packages[key]?.dev === true) expect(installed.has(key), `${name} is a dev-only package`).toBe(false);
      else expect(pkg.dependencies, `${name} is in the production tree of the lockfile only as a transitive dependency`).not.toHaveProperty(name);
    }
    // rhea is both: a devDependency (the local broker) and under @azure/service-bus (rhea-promise).
    expect(lock.packages["node_modules/rhea"]?.dev).not.toBe(true);
  });

  it(`stays below ${MAX_PACKAGE_BYTES / 1e6} MB`, () => {
    expect(summary.totalBytes).toBeLessThan(MAX_PACKAGE_BYTES);
    expect(summary.distBytes + summary.nodeModulesBytes).toBeLessThanOrEqual(summary.totalBytes);
  });
});

describe("the package checks", () => {
  const fixture = (files: Record<string, string>) => {
    const root = mkdtempSync(join(work, "fixture-"));
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(join(root, file, ".."), { recursive: true });
      writeFileSync(join(root, file), text);
    }
    return root;
  };

  it("read require() and import() calls, not comments", () => {
    expect(importsOf('// require("./no")\n/* import("./nor") */\nconst a = require("./a");\nimport("b").then(() => 1);')).toEqual(["./a", "b"]);
  });

  it("refuse an app that loads the local stand-ins or the CLI, naming the import chain", () => {
    const root = fixture({
      "dist/src/index.js": 'require("./functions/a");',
      "dist/src/functions/a.js": 'require("../local/simulator"); require("../cli/main");',
      "dist/src/local/simulator.js": "",
      "dist/src/cli/main.js": "",
    });
    const graph = walkApp(root, [join(root, "dist/src/index.js")], {});
    expect(graph.problems).toEqual([
      "the Function App loads dist/src/local/ (development-only code): dist/src/index.js -> dist/src/functions/a.js -> dist/src/local/simulator.js",
      "the Function App loads dist/src/cli/ (development-only code): dist/src/index.js -> dist/src/functions/a.js -> dist/src/cli/main.js",
    ]);
  });

  it("refuse a package that is not a production dependency, a missing file and a file outside dist/", () => {
    const root = fixture({ "dist/src/index.js": 'require("zod"); require("rhea/lib/x"); require("node:fs"); require("path"); require("./gone"); require("../../tools/x");', "tools/x.js": "" });
    const graph = walkApp(root, [join(root, "dist/src/index.js")], { zod: "^4" });
    expect(graph.packages).toEqual(["rhea", "zod"]);
    expect(graph.problems).toEqual([
      expect.stringContaining('imports rhea, which is not in package.json "dependencies"'),
      "dist/src/index.js imports ./gone, which does not exist in the build",
      "imports a file outside dist/, which the package does not carry: dist/src/index.js -> tools/x.js",
    ]);
  });

  it("refuse a folder whose modules would resolve from a node_modules above it", () => {
    const root = fixture({
      "node_modules/above/index.js": "module.exports = 1;",
      "app/dist/index.js": 'require("above");',
    });
    expect(() => loadFromPackage(join(root, "app"), [join(root, "app", "dist", "index.js")])).toThrow(/'above' resolves outside the package folder/);
  });
});

describe(".funcignore", () => {
  // The same .gitignore semantics Core Tools and azd give it.
  const funcignore = ignore().add(readFileSync(join(repoRoot, ".funcignore"), "utf8"));

  it("leaves out of a publish from the repository what the package leaves out", () => {
    for (const path of ["dist/src/local/localRun.js", "dist/src/cli/main.js", "src/index.ts", "test/package/package.test.ts", "bench/run.ts", "scripts/package.ts", "infra/main.bicep", "bin/flowdeploy.cjs", ".azure-package/host.json", ".test-build/src/index.js", "dist/src/index.js.map", "local.settings.json"]) {
      expect(funcignore.ignores(path), path).toBe(true);
    }
  });

  it("ignores nothing of the package that Node loads (a publish from the repository keeps every file the app needs)", () => {
    const kept = filesUnder(out).filter((f) => !f.startsWith("node_modules/.bin/"));
    expect(kept.length).toBeGreaterThan(1000);
    // Type declarations, source maps and .github folders in node_modules may go; nothing Node loads may.
    const loadable = /\.(js|cjs|mjs|json|node|wasm)$/;
    expect(kept.filter((f) => loadable.test(f) && funcignore.ignores(f))).toEqual([]);
    for (const file of ["host.json", "package.json", "dist/src/index.js"]) expect(funcignore.ignores(file), file).toBe(false);
  });
});
