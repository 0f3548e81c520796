/**
 * The app as the local stand-ins host it, loaded the way the Azure Functions Node.js worker loads it:
 * every file the package.json `main` glob matches, in the glob's order, with the worker's
 * registration rules enforced (FunctionRegistry: valid names, unique across all triggers ignoring
 * case) and an entry-point error failing the whole load, as on Node 20+ (docs/local-runner.md).
 *
 * The CLI and the tests run from the TypeScript sources (tsx, vitest), so the `main` pattern of the
 * build (`dist/src/{index.js,functions/*.js}`) is mapped back to the sources it is compiled from
 * (`src/{index.ts,functions/*.ts}`: tsconfig `rootDir: "."`, `outDir: "dist"`). The build itself is
 * loaded through the same glob by test/host/mainGlob.test.ts, with a stand-in for the worker's module.
 */
import { readFileSync } from "node:fs";
import { basename, extname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { DurableClient } from "durable-functions";
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import type * as EventsModule from "../../functions/bulkTestEvents";
import type * as HttpModule from "../../functions/deploymentsHttp";
import type * as QueueModule from "../../functions/deployRequestsQueue";
import { FunctionRegistry } from "../runner";
import { expandMainGlob } from "./mainGlob";

/** The trigger handlers the local edges call directly, taken from the modules the glob loaded. */
export interface AppHandlers {
  deployRequestFromQueue(message: unknown, client: DurableClient, context: InvocationContext): Promise<void>;
  bulkTestEvent(event: unknown, client: DurableClient, context: InvocationContext): Promise<void>;
  startDeploymentHttp(request: HttpRequest, client: DurableClient, context: InvocationContext): Promise<HttpResponseInit>;
  getDeploymentHttp(request: HttpRequest, client: DurableClient): Promise<HttpResponseInit>;
  cancelDeploymentHttp(request: HttpRequest, client: DurableClient, context: InvocationContext): Promise<HttpResponseInit>;
  releaseLockHttp(request: HttpRequest, client: DurableClient, context: InvocationContext): Promise<HttpResponseInit>;
  listDeploymentsHttp(request: HttpRequest, client: DurableClient): Promise<HttpResponseInit>;
}

export interface LoadedApp {
  functions: FunctionRegistry;
  /** The files loaded, in order (absolute paths). */
  files: string[];
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
  const modules = new Map<string, Record<string, unknown>>();
  const restoreWarn = quietTestModeWarnings();
  try {
    await functions.captureAsync(async () => {
      for (const file of files) {
        try {
          const namespace = await loadModule(file);
          // A CommonJS module imported from ESM (tsx) has its exports under `default`.
          modules.set(basename(file, extname(file)), (namespace["default"] as Record<string, unknown> | undefined) ?? namespace);
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
  return { functions, files, handlers: handlersFrom(functions, modules) };
}

/** The edges' handlers, from the modules the glob loaded, each checked to belong to a function registered under its name. */
function handlersFrom(functions: FunctionRegistry, modules: Map<string, Record<string, unknown>>): AppHandlers {
  const module = (name: string): Record<string, unknown> => {
    const found = modules.get(name);
    if (!found) throw new Error(`src/functions/${name} was not loaded by package.json main`);
    return found;
  };
  const queue = module("deployRequestsQueue") as unknown as typeof QueueModule;
  const events = module("bulkTestEvents") as unknown as typeof EventsModule;
  const http = module("deploymentsHttp") as unknown as typeof HttpModule;
  const registered = new Set(functions.all().map((f) => f.name));
  for (const name of [queue.DEPLOY_REQUESTS_QUEUE_FUNCTION, events.BULK_TEST_EVENTS_FUNCTION, ...Object.values(http.DEPLOYMENT_HTTP_FUNCTIONS)]) {
    if (!registered.has(name)) throw new Error(`function ${name} was not registered by the files package.json main matches`);
  }
  return {
    deployRequestFromQueue: queue.deployRequestFromQueue,
    bulkTestEvent: events.bulkTestEvent,
    startDeploymentHttp: http.startDeploymentHttp,
    getDeploymentHttp: http.getDeploymentHttp,
    cancelDeploymentHttp: http.cancelDeploymentHttp,
    releaseLockHttp: http.releaseLockHttp,
    listDeploymentsHttp: http.listDeploymentsHttp,
  };
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
