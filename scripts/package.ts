/**
 * Builds the deployable Function App folder (default `.azure-package/`, git-ignored):
 *
 *   host.json
 *   package.json        trimmed: main, engines and dependencies only (no devDependencies, bin, scripts)
 *   dist/...            the compiled files package.json `main` matches, and every file they import
 *   node_modules/...    production dependencies only (`npm ci --omit=dev` from the repo's package-lock.json)
 *
 * Deploy the folder as it is (zip deploy / `func azure functionapp publish --no-build` from inside it,
 * or azd with the service's `project` pointing at it): it carries its node_modules, so no remote build.
 *
 * It fails loudly (exit 1) when the app would not run from the folder: a file the `main` glob reaches
 * imports the local stand-ins (src/local) or the CLI (src/cli), imports a package that is not in
 * `dependencies`, or imports a file outside dist/; or Node cannot load a `main` file from the folder
 * (the way the Functions worker loads them, with a stand-in for the worker's @azure/functions-core and
 * every module resolved inside the folder, never from the repository's node_modules above it).
 *
 * Usage: npm run package [-- --out DIR]
 * Needs network only when the npm cache lacks a production package (`--prefer-offline`).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import ts from "typescript";
import { expandMainGlob } from "../src/local/appFunctions/mainGlob";

const repoRoot = resolve(__dirname, "..");

/** Folders (relative to the compiled root) the Function App must never load. */
export const FORBIDDEN_DIRS = ["dist/src/local", "dist/src/cli"] as const;

export interface PackageJson {
  name: string;
  version: string;
  description?: string;
  license?: string;
  private?: boolean;
  main: string;
  engines?: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies?: Record<string, string>;
  [key: string]: unknown;
}

export interface AppGraph {
  /** Every compiled file the entry points reach, relative to the root, sorted. */
  files: string[];
  /** Bare package names imported (builtins excluded), sorted. */
  packages: string[];
  /** What is wrong, one line each (empty when the app can be packaged). */
  problems: string[];
}

const isBuiltin = (spec: string) => spec.startsWith("node:") || builtinModules.includes(spec) || builtinModules.includes(spec.split("/")[0]!);
const packageName = (spec: string) => (spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!);
const posix = (p: string) => p.split(sep).join("/");

/** The import specifiers of a compiled CommonJS file: require("x") and import("x") calls, comments ignored. */
export function importsOf(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

function resolveRelative(from: string, spec: string): string | undefined {
  const target = resolve(dirname(from), spec);
  for (const candidate of [target, `${target}.js`, `${target}.json`, join(target, "index.js")]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/**
 * Walks the import graph of the compiled app from `entries` (absolute paths under `root`): every file
 * reached, every package imported, and every import the package folder could not satisfy.
 */
export function walkApp(root: string, entries: string[], dependencies: Record<string, string>): AppGraph {
  const parent = new Map<string, string | undefined>();
  const packages = new Set<string>();
  const problems: string[] = [];
  const chain = (file: string) => {
    const path: string[] = [];
    for (let f: string | undefined = file; f !== undefined; f = parent.get(f)) path.unshift(posix(relative(root, f)));
    return path.join(" -> ");
  };
  const queue = [...entries];
  for (const e of entries) parent.set(e, undefined);
  while (queue.length > 0) {
    const file = queue.shift()!;
    const rel = posix(relative(root, file));
    const forbidden = FORBIDDEN_DIRS.find((d) => rel === d || rel.startsWith(`${d}/`));
    if (forbidden) problems.push(`the Function App loads ${forbidden}/ (development-only code): ${chain(file)}`);
    if (rel.startsWith("..") || isAbsolute(rel) || !rel.startsWith("dist/")) {
      problems.push(`imports a file outside dist/, which the package does not carry: ${chain(file)}`);
      continue;
    }
    if (!file.endsWith(".js")) continue;
    for (const spec of importsOf(readFileSync(file, "utf8"))) {
      if (spec.startsWith(".")) {
        const target = resolveRelative(file, spec);
        if (!target) {
          problems.push(`${rel} imports ${spec}, which does not exist in the build`);
        } else if (!parent.has(target)) {
          parent.set(target, file);
          queue.push(target);
        }
      } else if (!isBuiltin(spec)) {
        const name = packageName(spec);
        packages.add(name);
        if (!(name in dependencies)) problems.push(`${rel} imports ${name}, which is not in package.json "dependencies" (${chain(file)})`);
      }
    }
  }
  return { files: [...parent.keys()].map((f) => posix(relative(root, f))).sort(), packages: [...packages].sort(), problems };
}

/** package.json as the Function App needs it: what the worker reads (main) and what npm installs. */
export function trimPackageJson(pkg: PackageJson): PackageJson {
  const optional = (key: "description" | "license" | "private" | "engines") => (pkg[key] === undefined ? {} : { [key]: pkg[key] });
  return {
    name: pkg.name,
    version: pkg.version,
    ...optional("description"),
    ...optional("license"),
    ...optional("private"),
    main: pkg.main,
    ...optional("engines"),
    dependencies: pkg.dependencies,
  };
}

/**
 * Loads the `main` files from the package folder in a child Node, as the worker loads them: a stand-in
 * @azure/functions-core records registrations, and any module that would resolve outside the folder
 * (the repository's node_modules above a `.azure-package/` inside it) is an error. Returns the names of
 * the registered functions, or throws with the loader's error.
 */
export function loadFromPackage(outDir: string, mainFiles: string[]): string[] {
  const preload = `
    "use strict";
    const Module = require("node:module");
    const path = require("node:path");
    const root = ${JSON.stringify(outDir + sep)};
    const registered = [];
    const core = {
      version: "package-check",
      setProgrammingModel() {},
      getProgrammingModel() {},
      registerFunction(metadata) { registered.push(metadata.name); return { dispose() {} }; },
      registerHook() { return { dispose() {} }; },
      log() {},
    };
    const resolveFilename = Module._resolveFilename;
    Module._resolveFilename = function (request, ...rest) {
      if (request === "@azure/functions-core") return request;
      const resolved = resolveFilename.call(this, request, ...rest);
      if (path.isAbsolute(resolved) && !resolved.startsWith(root)) {
        throw new Error("'" + request + "' resolves outside the package folder, to " + resolved + ": the Function App would not find it");
      }
      return resolved;
    };
    require.cache["@azure/functions-core"] = { id: "@azure/functions-core", filename: "@azure/functions-core", loaded: true, exports: core };
    process.on("exit", (code) => { if (code === 0) process.stdout.write("\\nREGISTERED " + JSON.stringify(registered) + "\\n"); });
  `;
  const script = mainFiles.map((f) => `require(${JSON.stringify(f)});`).join("\n");
  const preloadFile = join(outDir, ".package-check.cjs");
  writeFileSync(preloadFile, preload);
  try {
    const run = spawnSync(process.execPath, ["-r", preloadFile, "-e", script], { cwd: outDir, encoding: "utf8", env: { ...process.env, NODE_PATH: "", NODE_OPTIONS: "" } });
    const line = run.stdout.split("\n").find((l) => l.startsWith("REGISTERED "));
    if (run.status !== 0 || !line) throw new Error(`Node cannot load the Function App from ${outDir}:\n${run.stderr.trim() || run.stdout.trim()}`);
    return JSON.parse(line.slice("REGISTERED ".length)) as string[];
  } finally {
    rmSync(preloadFile, { force: true });
  }
}

/** Total size in bytes of the files under `dir` (symbolic links count as their own size). */
export function folderBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += statSync(join(entry.parentPath, entry.name)).size;
  }
  return total;
}

class PackageError extends Error {}

function fail(message: string): never {
  throw new PackageError(message);
}

/** The npm that runs this script (`npm run package`), else the one on PATH (npm.cmd through a shell on Windows). */
function npmCommand(): { command: string; args: string[]; shell: boolean } {
  const cli = process.env["npm_execpath"];
  if (cli && /npm-cli\.[cm]?js$/.test(cli)) return { command: process.execPath, args: [cli], shell: false };
  return process.platform === "win32" ? { command: "npm.cmd", args: [], shell: true } : { command: "npm", args: [], shell: false };
}

/** npm's settings for the child npm: the parent's cache, registry and TLS settings, never its project (npm run sets npm_config_local_prefix to the repository). */
function npmEnv(): NodeJS.ProcessEnv {
  const keep = new Set(["npm_config_cache", "npm_config_cafile", "npm_config_userconfig", "npm_config_globalconfig", "npm_config_registry", "npm_config_proxy", "npm_config_https_proxy", "npm_config_noproxy", "npm_config_strict_ssl"]);
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(key) || keep.has(key.toLowerCase())) env[key] = value;
  }
  return env;
}

function parseArgs(argv: string[]): { out: string } {
  let out = join(repoRoot, ".azure-package");
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--out" && argv[i + 1]) out = resolve(argv[++i]!);
    else if (arg.startsWith("--out=")) out = resolve(arg.slice("--out=".length));
    else fail(`unknown argument ${arg} (usage: npm run package [-- --out DIR])`);
  }
  if (out === repoRoot || repoRoot.startsWith(out + sep)) fail(`--out ${out} would delete the repository`);
  return { out };
}

async function main(): Promise<void> {
  const started = Date.now();
  const { out } = parseArgs(process.argv.slice(2));
  const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as PackageJson;
  const stage = mkdtempSync(join(tmpdir(), "flowdeploy-package-"));
  try {
    // 1. Compile what the `main` glob names, from its sources (dist/X.js is built from X.ts), and what
    // they import: tsc follows the imports, so the local stand-ins and the CLI are not even compiled
    // unless something the app loads imports them (then step 2 refuses). No source maps: .funcignore
    // leaves them out of a publish from the repository too.
    const outDirName = "dist";
    if (!pkg.main.startsWith(`${outDirName}/`)) fail(`package.json main (${pkg.main}) is not under ${outDirName}/`);
    const sources = await expandMainGlob(pkg.main.slice(outDirName.length + 1).replace(/\.js\b/g, ".ts"), repoRoot);
    if (sources.length === 0) fail(`package.json main (${pkg.main}) names no TypeScript source`);
    const tsconfig = {
      extends: join(repoRoot, "tsconfig.json"),
      compilerOptions: { rootDir: repoRoot, outDir: join(stage, outDirName), sourceMap: false, typeRoots: [join(repoRoot, "node_modules", "@types")] },
      files: sources,
      include: [],
    };
    writeFileSync(join(stage, "tsconfig.json"), JSON.stringify(tsconfig, null, 2));
    const tsc = join(repoRoot, "node_modules", "typescript", "bin", "tsc");
    try {
      execFileSync(process.execPath, [tsc, "-p", join(stage, "tsconfig.json")], { cwd: repoRoot, stdio: "pipe" });
    } catch (err) {
      fail(`the build failed:\n${String((err as { stdout?: unknown }).stdout ?? err)}`);
    }

    // 2. What the worker loads: the `main` glob, then everything those files import.
    const entries = await expandMainGlob(pkg.main, stage);
    if (entries.length === 0) fail(`package.json main (${pkg.main}) matches no compiled file`);
    const graph = walkApp(stage, entries, pkg.dependencies);
    if (graph.problems.length > 0) fail(`the compiled app cannot be packaged:\n  ${graph.problems.join("\n  ")}`);

    // 3. The folder: the reached files, host.json, package.json.
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    for (const file of graph.files) {
      mkdirSync(dirname(join(out, file)), { recursive: true });
      cpSync(join(stage, file), join(out, file));
    }
    cpSync(join(repoRoot, "host.json"), join(out, "host.json"));

    // 4. Production dependencies from the lockfile. npm ci insists that package.json and the lockfile
    // agree (devDependencies included), so it runs on the dependency lists, then package.json is trimmed.
    writeFileSync(join(out, "package.json"), `${JSON.stringify({ name: pkg.name, version: pkg.version, private: true, dependencies: pkg.dependencies, devDependencies: pkg.devDependencies ?? {} }, null, 2)}\n`);
    cpSync(join(repoRoot, "package-lock.json"), join(out, "package-lock.json"));
    const npm = npmCommand();
    const install = spawnSync(npm.command, [...npm.args, "ci", "--prefix", out, "--omit=dev", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: out, encoding: "utf8", env: npmEnv(), shell: npm.shell });
    if (install.status !== 0) fail(`npm ci --omit=dev failed (${install.error?.message ?? `exit ${install.status}`}):\n${install.stderr}`);
    // The lockfile also lists the dev tree; the folder's own record is node_modules/.package-lock.json.
    rmSync(join(out, "package-lock.json"));
    writeFileSync(join(out, "package.json"), `${JSON.stringify(trimPackageJson(pkg), null, 2)}\n`);

    // 5. The folder runs on its own.
    const mainFiles = await expandMainGlob(pkg.main, out);
    const registered = loadFromPackage(out, mainFiles);
    if (registered.length === 0) fail("the main files loaded but registered no function");

    const distBytes = folderBytes(join(out, "dist"));
    const modulesBytes = folderBytes(join(out, "node_modules"));
    const summary = {
      out,
      mainFiles: mainFiles.length,
      distFiles: graph.files.length,
      functions: registered.length,
      packages: graph.packages,
      distBytes,
      nodeModulesBytes: modulesBytes,
      totalBytes: folderBytes(out),
      seconds: Math.round((Date.now() - started) / 100) / 10,
    };
    process.stdout.write(
      `package: ${posix(relative(process.cwd(), out)) || "."}: ${summary.distFiles} compiled files (${(distBytes / 1e6).toFixed(1)} MB), ` +
        `${summary.functions} functions, node_modules ${(modulesBytes / 1e6).toFixed(1)} MB, total ${(summary.totalBytes / 1e6).toFixed(1)} MB in ${summary.seconds} s\n`,
    );
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`package: ${err instanceof PackageError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
}
