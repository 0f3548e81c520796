/**
 * What every part of the local Durable host shares: the instance and entity records, which of them
 * have work to run, the store that persists them, the signal that wakes the scheduler loop, event
 * listeners, completion waiters and running totals; plus the small helpers each part uses on them
 * (save, touch, emit, log handlers). The parts (instance lifecycle, activity dispatch, timers, entity
 * dispatch, episodes, recovery, the loop) each hold this one object.
 */
import type { LogLevel } from "@azure/functions";
import type { EntityRecord, InstanceRecord, InstanceStore, RuntimeStatus } from "./instanceStore";
import type { ActivityStats, RunnerEvent, RunnerEventListener } from "./observability";
import type { CapturedFunctions } from "./registrations";
import type { DurableRuntimeOptions, RunnerClock, RunnerLogEntry } from "./runtimeOptions";

const ACTIVE: ReadonlySet<RuntimeStatus> = new Set(["Pending", "Running"]);
export const isActive = (r: InstanceRecord): boolean => ACTIVE.has(r.runtimeStatus);
export const isTerminalStatus = (s: RuntimeStatus): boolean => s === "Completed" || s === "Failed" || s === "Terminated";

/** Wakes whoever waits (the scheduler loop, `stop`) when something changed. */
export class Signal {
  private waiters: Array<() => void> = [];
  wait(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/** Counters over the runtime's life, summed into `metrics()`. */
export interface RuntimeTotals {
  episodes: number;
  replayedEvents: number;
  historyEvents: number;
  episodeMs: number;
  timersFired: number;
  entityOperations: number;
  activities: ActivityStats;
  byName: Record<string, ActivityStats>;
}

export class RuntimeState {
  readonly records = new Map<string, InstanceRecord>();
  readonly entityRecords = new Map<string, EntityRecord>();
  /** Instances with undelivered events (or not started yet): the next episodes to run. */
  readonly ready = new Set<string>();
  /** Entities with a message they can process now. */
  readonly readyEntities = new Set<string>();
  readonly signal = new Signal();
  readonly listeners = new Set<RunnerEventListener>();
  readonly completionWaiters = new Map<string, Array<() => void>>();
  /** Terminations asked for while the instance's episode ran: applied once the episode is recorded. */
  readonly pendingTerminations = new Map<string, string>();
  /** The instance whose episode is running, if one is. */
  inEpisode: string | undefined;
  readonly totals: RuntimeTotals = {
    episodes: 0,
    replayedEvents: 0,
    historyEvents: 0,
    episodeMs: 0,
    timersFired: 0,
    entityOperations: 0,
    activities: { calls: 0, failures: 0, busyMs: 0, maxMs: 0 },
    byName: {},
  };

  constructor(
    readonly functions: CapturedFunctions,
    readonly clock: RunnerClock,
    readonly store: InstanceStore,
    readonly options: DurableRuntimeOptions,
  ) {}

  mustGet(instanceId: string): InstanceRecord {
    const rec = this.records.get(instanceId);
    if (!rec) throw new Error(`No instance with ID '${instanceId}' found.`);
    return rec;
  }

  removeWaiter(instanceId: string, fn: () => void): void {
    const list = this.completionWaiters.get(instanceId);
    if (!list) return;
    const i = list.indexOf(fn);
    if (i >= 0) list.splice(i, 1);
  }

  save(rec: InstanceRecord): void {
    this.store.saveInstance(rec);
  }

  touch(rec: InstanceRecord, at: string): void {
    rec.lastUpdatedTime = at;
    rec.clockAt = at;
  }

  nowIso(): string {
    return this.clock.now().toISOString();
  }

  emit(event: RunnerEvent): void {
    for (const l of this.listeners) l(event);
  }

  logHandlerFor(kind: RunnerLogEntry["kind"], functionName: string, instanceId: string): (level: LogLevel, ...args: unknown[]) => void {
    const log = this.options.log;
    return log ? (level, ...args) => log({ level, kind, functionName, instanceId, args }) : () => undefined;
  }
}
