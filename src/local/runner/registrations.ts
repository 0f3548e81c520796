import * as functions from "@azure/functions";
import type { InvocationContext } from "@azure/functions";
import * as df from "durable-functions";

/**
 * What the app registers, captured exactly as the Functions host would receive it.
 *
 * Outside the host, @azure/functions skips registrations (test mode). `df.app.orchestration/activity/
 * entity` call `app.generic` on the @azure/functions exports object at call time, with the handler
 * already wrapped (`createOrchestrator`, `wrapActivityHandler`, `createEntityFunction`), so replacing
 * `app.generic` while registration modules load captures the very handlers the host would invoke.
 * `app.http` and friends call an internal function and are not captured (`otherFunctions` lists what
 * went through `generic` with another trigger type).
 *
 * Modules register once per process (the module cache): load them inside `capture` the first time.
 */

/** The host-facing handler signature of every captured function. */
export type HostHandler = (triggerInput: unknown, context: InvocationContext) => unknown;

export interface CapturedFunctions {
  orchestrations: Map<string, HostHandler>;
  activities: Map<string, HostHandler>;
  /** Keyed by the lower-cased entity name (entity ids lower-case the name: `@name@key`). */
  entities: Map<string, HostHandler>;
  otherFunctions: Array<{ name: string; triggerType: string }>;
}

/** Every function the app registered, of every trigger kind, in registration order. */
export interface RegisteredFunction {
  name: string;
  triggerType: string;
}

interface GenericOptions {
  trigger?: { type?: string };
  handler?: HostHandler;
}

type GenericFn = (name: string, options: GenericOptions) => void;

export class FunctionRegistry implements CapturedFunctions {
  readonly orchestrations = new Map<string, HostHandler>();
  readonly activities = new Map<string, HostHandler>();
  readonly entities = new Map<string, HostHandler>();
  readonly otherFunctions: Array<{ name: string; triggerType: string }> = [];
  /** Every registration, keyed by the lower-cased name (the host compares function names case-insensitively). */
  private readonly byName = new Map<string, RegisteredFunction>();

  /** Runs `load` (which imports or calls registration code) with `app.generic` captured into this registry. */
  capture<T>(load: () => T): T {
    const restore = this.patch();
    try {
      return load();
    } finally {
      restore();
    }
  }

  /** As `capture`, for a loader that imports modules asynchronously (`() => import("./functions")`). */
  async captureAsync<T>(load: () => Promise<T>): Promise<T> {
    const restore = this.patch();
    try {
      return await load();
    } finally {
      restore();
    }
  }

  /** Registers an orchestration through `df.app.orchestration`, i.e. wrapped exactly as production. */
  orchestration(name: string, handler: df.OrchestrationHandler): this {
    this.capture(() => df.app.orchestration(name, handler));
    return this;
  }

  /** Registers an activity through `df.app.activity` (so the exception-properties wrapper applies). */
  activity(name: string, handler: df.ActivityHandler): this {
    this.capture(() => df.app.activity(name, { handler }));
    return this;
  }

  /** Registers an entity through `df.app.entity`. */
  entity<T = unknown>(name: string, handler: df.EntityHandler<T>): this {
    this.capture(() => df.app.entity(name, handler));
    return this;
  }

  /**
   * Removes a function registered for one test file's use (a probe orchestration), so the registry a
   * process loads once (`loadApp`) holds only the app's own functions for the files after it.
   */
  unregister(name: string): boolean {
    const registered = this.byName.get(name.toLowerCase());
    if (!registered) return false;
    this.byName.delete(name.toLowerCase());
    this.orchestrations.delete(registered.name);
    this.activities.delete(registered.name);
    this.entities.delete(registered.name.toLowerCase());
    const other = this.otherFunctions.findIndex((f) => f.name === registered.name);
    if (other !== -1) this.otherFunctions.splice(other, 1);
    return true;
  }

  names(): { orchestrations: string[]; activities: string[]; entities: string[] } {
    return { orchestrations: [...this.orchestrations.keys()], activities: [...this.activities.keys()], entities: [...this.entities.keys()] };
  }

  /** Every function registered through this registry (all trigger kinds), in order. */
  all(): RegisteredFunction[] {
    return [...this.byName.values()];
  }

  /**
   * Swaps every registration method of the @azure/functions `app` object: `generic` (what `df.app.*`
   * use) and the trigger shorthands (`http`, `serviceBusQueue`, `eventGrid`, ...: what
   * `df.app.client.*` call through the same exports object), so names of every kind are checked.
   */
  private patch(): () => void {
    const appExports = functions.app as unknown as Record<string, unknown>;
    const originals = new Map<string, unknown>();
    for (const [method, value] of Object.entries(appExports)) {
      if (typeof value !== "function" || method === "setup") continue;
      originals.set(method, value);
      appExports[method] =
        method === "generic"
          ? ((name: string, options: GenericOptions) => this.record(name, options)) satisfies GenericFn
          : (name: string, options: unknown) => this.recordOther(name, shorthandTriggerType(method), options);
    }
    return () => {
      for (const [method, value] of originals) appExports[method] = value;
    };
  }

  /**
   * The registration rules of the Functions worker and host (docs/local-runner.md, "Strictness"):
   * a name must be a valid function name, and unique across all trigger kinds, compared ignoring case.
   */
  private claim(name: string, triggerType: string): void {
    assertValidFunctionName(name);
    const key = name.toLowerCase();
    if (this.byName.has(key)) throw new DuplicateFunctionError(name, this.byName.get(key)!);
    this.byName.set(key, { name, triggerType });
  }

  private recordOther(name: string, triggerType: string, options: unknown): void {
    if (typeof options !== "function" && typeof (options as { handler?: unknown } | undefined)?.handler !== "function") throw new Error(`registration of ${name} has no handler`);
    this.claim(name, triggerType);
    this.otherFunctions.push({ name, triggerType });
  }

  private record(name: string, options: GenericOptions): void {
    const triggerType = options.trigger?.type ?? "unknown";
    const handler = options.handler;
    if (typeof handler !== "function") throw new Error(`registration of ${name} has no handler`);
    this.claim(name, triggerType);
    switch (triggerType) {
      case "orchestrationTrigger":
        this.orchestrations.set(name, handler);
        break;
      case "activityTrigger":
        this.activities.set(name, handler);
        break;
      case "entityTrigger":
        this.entities.set(name.toLowerCase(), handler);
        break;
      default:
        this.otherFunctions.push({ name, triggerType });
    }
  }
}

/** `app.get/put/post/patch/deleteRequest` are HTTP triggers; the other shorthands are named after their trigger. */
function shorthandTriggerType(method: string): string {
  return ["get", "put", "post", "patch", "deleteRequest", "http"].includes(method) ? "httpTrigger" : `${method}Trigger`;
}

/**
 * The Functions host's rule for function names (azure-functions-host, Utility.IsValidFunctionName:
 * `^[a-z][a-z0-9_\-]{0,127}$`, ignoring case); the host refuses to index any other name.
 */
const FUNCTION_NAME = /^[a-z][a-z0-9_-]{0,127}$/i;

export function assertValidFunctionName(name: string): void {
  if (!FUNCTION_NAME.test(name)) throw new Error(`'${name}' is not a valid function name: it must start with a letter and hold only letters, digits, '_' and '-' (at most 128 characters)`);
}

/**
 * A second registration of a name already taken (by any trigger kind, in any letter case). The
 * Node.js worker refuses it at load time, and on Node 20+ that entry-point error keeps the whole app
 * from starting (see docs/local-runner.md for the sources).
 */
export class DuplicateFunctionError extends Error {
  override readonly name = "DuplicateFunctionError";
  constructor(
    readonly functionName: string,
    readonly existing: RegisteredFunction,
  ) {
    super(`A function with name "${functionName}" has already been registered (as "${existing.name}", ${existing.triggerType}); function names must be unique across all triggers, ignoring case`);
  }
}
