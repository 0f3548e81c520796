/**
 * The runtime's public vocabulary: how a DurableRuntime is configured (clock, store, concurrency,
 * host-version knobs), what `runUntilIdle` takes and reports, what a start takes, and the shape of a
 * log line the runner forwards. Types only.
 */
import type { LogLevel } from "@azure/functions";
import type { Clock } from "../../domain/clock";
import type { InstanceStore, RuntimeStatus } from "./instanceStore";
import type { RunnerEventListener } from "./observability";
import type { CapturedFunctions } from "./registrations";

/** A clock the runner can drive: VirtualClock (has `advanceTo`), ScaledClock (`realDelayUntil`) or any Clock. */
export interface RunnerClock extends Clock {
  advanceTo?(to: Date | string): void;
  realDelayUntil?(at: Date): number;
}

export interface RunnerLogEntry {
  level: LogLevel;
  kind: "orchestration" | "activity" | "entity";
  functionName: string;
  instanceId: string;
  args: unknown[];
}

export interface DurableRuntimeOptions {
  /** What the app registered (FunctionRegistry). */
  functions: CapturedFunctions;
  /** Defaults to a new VirtualClock. Share it with the ARM simulator. */
  clock?: RunnerClock;
  /** Persist every instance and entity under this directory and resume from it. Omit for memory only. */
  stateDir?: string;
  /** Overrides `stateDir` with a store of your own. */
  store?: InstanceStore;
  /** Activities running at once (default 8). */
  activityConcurrency?: number;
  /** Receives `context.log` calls of orchestrators (during replay too), activities and entities. Default: dropped. */
  log?: (entry: RunnerLogEntry) => void;
  onEvent?: RunnerEventListener;
  /**
   * After every episode, check the runner's task ids against the library's internal counter
   * (durableEngine.libraryTaskState). A mismatch fails the instance loudly instead of leaving it to
   * hang on a completion the library files under another task. Cheap (open tasks only). Default true.
   */
  verifyTaskIds?: boolean;
  /** Refuse to run on a durable-functions version other than 3.5.x (default true). */
  checkLibraryVersion?: boolean;
  /**
   * The OOProc replay schema the runner's "extension" negotiates (default "V4", Durable extension
   * 3.13+). "V3" is what older extensions advertise: `context.df.lock` then throws in the library.
   */
  replaySchema?: "V3" | "V4";
  /**
   * Whether activity failures carry the exception-properties provider's `Properties` (default true:
   * Durable extension 3.14+). False models an older extension: FailureDetails without Properties, the
   * provider's JSON payload left in the error message.
   */
  exceptionProperties?: boolean;
  /**
   * Timers fire late by a pseudo-random amount up to this many seconds (default 0). With the Azure
   * Storage backend a due timer waits for the next control-queue poll: up to `maxQueuePollingInterval`
   * (default 30 s) on an idle app.
   */
  timerLatenessSeconds?: number;
  /** Seed of the lateness sequence (default 1), so a run with lateness is reproducible. */
  timerLatenessSeed?: number;
}

export interface IdleReport {
  byStatus: Partial<Record<RuntimeStatus, number>>;
  /** Instances still Pending/Running: they wait for external events, entity locks, or (with `advanceClock: false`) timers. */
  waiting: string[];
  clockAt: string;
  /** The earliest pending timer, when one is left (only with `advanceClock: false` or a stopped loop). */
  nextTimerAt?: string;
}

export interface RunUntilIdleOptions {
  /**
   * With a VirtualClock, `false` runs everything that can run *now* and stops before moving the clock
   * to the next timer: use it to act (raise an event) while an instance still waits on a deadline.
   * Default true.
   */
  advanceClock?: boolean;
  /**
   * With a VirtualClock: skip time only up to this moment (timers due by then fire, later ones stay
   * pending) and leave the clock there, like Temporal's `testEnv.sleep`. Overrides `advanceClock`.
   */
  advanceClockUntil?: Date | string;
}

export interface StartOptions {
  instanceId?: string;
  input?: unknown;
}
