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

  names(): { orchestrations: string[]; activities: string[]; entities: string[] } {
    return { orchestrations: [...this.orchestrations.keys()], activities: [...this.activities.keys()], entities: [...this.entities.keys()] };
  }

  private patch(): () => void {
    const appExports = functions.app as unknown as { generic: GenericFn };
    const original = appExports.generic;
    appExports.generic = (name, options) => this.record(name, options);
    return () => {
      appExports.generic = original;
    };
  }

  private record(name: string, options: GenericOptions): void {
    const triggerType = options.trigger?.type ?? "unknown";
    const handler = options.handler;
    if (typeof handler !== "function") throw new Error(`registration of ${name} has no handler`);
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
