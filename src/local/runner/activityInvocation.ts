/**
 * Which activity call the current async context belongs to: the runner sets it around each activity
 * it invokes, so process-wide code (a logger the activities were given) can name the instance.
 */
import { AsyncLocalStorage } from "node:async_hooks";

/** The activity invocation running in the current async context (the runner sets it around each call). */
export interface ActivityInvocation {
  instanceId: string;
  name: string;
}

const activityScope = new AsyncLocalStorage<ActivityInvocation>();

/**
 * Which orchestration instance and activity the caller runs for, when it runs inside an activity
 * the runner invoked: lets a process-wide logger (the activities' injected `log`) say which
 * deployment a line is about, as the host's invocation context would.
 */
export function currentActivityInvocation(): ActivityInvocation | undefined {
  return activityScope.getStore();
}

/** Runs `fn` (one activity call) with `invocation` as the current activity invocation. */
export function runAsActivity<T>(invocation: ActivityInvocation, fn: () => T): T {
  return activityScope.run(invocation, fn);
}
