import { AsyncLocalStorage } from "node:async_hooks";
import type { RunContext } from "../contracts/runContext";
import { logLine } from "../domain/logLine";
import type { ActivityLogger } from "./deps";

/**
 * The run an activity is executing for, and where its log lines go (the Functions invocation's
 * context), for the duration of one activity execution (src/functions/activities.ts). Activities keep
 * a plain `deps.log`; this module gives them one that prefixes each line with the run's fields.
 */
interface RunScope {
  run: Partial<RunContext> | undefined;
  sink: ActivityLogger | undefined;
}

const scope = new AsyncLocalStorage<RunScope>();

export function inRunScope<T>(run: Partial<RunContext> | undefined, sink: ActivityLogger | undefined, fn: () => Promise<T>): Promise<T> {
  return scope.run({ run, sink }, fn);
}

/** A logger that writes `request=… instance=… endpoint=… stage=… message` to the execution's sink, else to `fallback`. */
export function scopedLogger(fallback: ActivityLogger | undefined): ActivityLogger {
  const write = (level: keyof ActivityLogger, message: string) => {
    const current = scope.getStore();
    const sink = current?.sink ?? fallback;
    sink?.[level](logLine(current?.run ?? {}, message));
  };
  return { info: (m) => write("info", m), warn: (m) => write("warn", m) };
}
