/**
 * The app as the local stand-ins host it, loaded the way the Azure Functions Node.js worker loads it:
 * every file the package.json `main` glob matches, in the glob's order, with the worker's
 * registration rules enforced (FunctionRegistry: valid names, unique across all triggers ignoring
 * case) and an entry-point error failing the whole load, as on Node 20+ (docs/local-runner.md).
 * What the files register must be exactly the wiring table (src/functions/triggers.ts), whose entries
 * give the local edges their routes, queues and handlers.
 *
 * The CLI and the tests run from the TypeScript sources (tsx, vitest), so the `main` pattern of the
 * build (`dist/src/{index.js,functions/*.js}`) is mapped back to the sources it is compiled from
 * (`src/{index.ts,functions/*.ts}`: tsconfig `rootDir: "."`, `outDir: "dist"`). The build itself is
 * loaded through the same glob by test/host/mainGlob.test.ts, with a stand-in for the worker's module.
 */
import { readFileSync } from "node:fs";
import { extname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { TRIGGERS, type AppTrigger } from "../../functions/triggers";
import { FunctionRegistry } from "../runner";
import { localTriggers, type LocalTriggers } from "./localTriggers";
import { expandMainGlob } from "./mainGlob";

/** The trigger kinds the local edges call directly (the runner calls the durable ones). */
type EdgeTrigger = Extract<AppTrigger, { kind: "http" | "serviceBusQueue" | "eventGrid" }>;

/** The edges' handlers by function name, from the wiring table. */
export type AppHandlers = { [T in EdgeTrigger as T["name"]]: T["handler"] };

export interface LoadedApp {
  functions: FunctionRegistry;
  /** The files loaded, in order (absolute paths). */
  files: string[];
  /** The wiring table, grouped by the local host that serves each kind. */
  triggers: LocalTriggers;
  handlers: AppHandlers;
}

/** The repository root: this file is src/local/appFunctions/index.{ts,js} (or dist/src/... when built). */
const moduleDir = __dirname;
const fromBuild = /[\\/]dist[\\/]src[\\/]/.test(moduleDir);
export const appRoot = resolve(moduleDir, fromBuild ? "../../../.." : "../../..");

/** The worker's glob, mapped to the sources when running from them (see the header). */
export function appEntryPattern(root = appRoot): string {
  const main = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { main?: string }).main;
  if (!main) throw new Error("package.json has no `main`: the Functions worker would load no functions");
  return fromBuild ? main : main.replace(/^dist\//, "").replace(/\.js\b/g, ".ts");
}

let loaded: Promise<LoadedApp> | undefined;

/** Loads the app once per process (modules register once: the module cache). */
export function loadApp(): Promise<LoadedApp> {
  loaded ??= loadAppOnce();
  return loaded;
}

async function loadAppOnce(): Promise<LoadedApp> {
  const files = await expandMainGlob(appEntryPattern(), appRoot);
  if (files.length === 0) throw new Error(`package.json main '${appEntryPattern()}' matches no file: the worker would load no functions`);
  const functions = new FunctionRegistry();
  const restoreWarn = quietTestModeWarnings();
  try {
    await functions.captureAsync(async () => {
      for (const file of files) {
        try {
          await loadModule(file);
        } catch (err) {
          // The worker's message for an entry-point error (nodejs-worker startApp.ts); on Node 20+ it
          // blocks the app: nothing after it loads and no function runs.
          throw new Error(`Worker was unable to load entry point "${file}": ${err instanceof Error ? err.message : String(err)}`, { cause: err });
        }
      }
    });
  } finally {
    restoreWarn();
  }
  checkRegistrations(functions);
  const triggers = localTriggers(TRIGGERS, routePrefix(appRoot));
  const edges = TRIGGERS.filter((t): t is EdgeTrigger => t.kind === "http" || t.kind === "serviceBusQueue" || t.kind === "eventGrid");
  return { functions, files, triggers, handlers: Object.fromEntries(edges.map((t) => [t.name, t.handler])) as AppHandlers };
}

/**
 * What the files registered is the wiring table, no more and no less: an entry missing means the glob
 * did not load src/functions/register.ts, an extra function was registered outside the table.
 */
function checkRegistrations(functions: FunctionRegistry): void {
  const registered = new Set(functions.all().map((f) => f.name));
  const declared = new Set<string>(TRIGGERS.map((t) => t.name));
  const missing = [...declared].filter((name) => !registered.has(name));
  if (missing.length > 0) throw new Error(`function ${missing.join(", ")} was not registered by the files package.json main matches`);
  const extra = [...registered].filter((name) => !declared.has(name));
  if (extra.length > 0) throw new Error(`function ${extra.join(", ")} was registered outside the wiring table (src/functions/triggers.ts)`);
}

/** The HTTP route prefix, as the host reads it from host.json (`extensions.http.routePrefix`, default `api`). */
function routePrefix(root: string): string {
  const host = JSON.parse(readFileSync(join(root, "host.json"), "utf8")) as { extensions?: { http?: { routePrefix?: unknown } } };
  const prefix = host.extensions?.http?.routePrefix;
  return typeof prefix === "string" ? prefix : "api";
}

/**
 * Loads one entry-point file as the worker does (`require` for CommonJS; the worker falls back to
 * `import()` for ES modules: nodejs-worker loadScriptFile.ts). Under tsx (the CLI) `require` knows
 * `.ts`; under vitest only `import()` goes through its transform.
 */
async function loadModule(file: string): Promise<Record<string, unknown>> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the worker requires each matched file by path
  if (typeof require === "function" && require.extensions[extname(file)]) return require(file) as Record<string, unknown>;
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
}

/**
 * Outside the Functions host, @azure/functions runs in "test mode" and warns about it once and about
 * every trigger it would skip. Expected while the runner captures registrations.
 */
function quietTestModeWarnings(): () => void {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!/^WARNING: (Failed to detect the Azure Functions runtime|Skipping call to register function)/.test(String(args[0]))) warn(...args);
  };
  return () => {
    console.warn = warn;
  };
}
