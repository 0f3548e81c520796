import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { InvocationContext, type LogLevel } from "@azure/functions";
import type { Clock } from "../../domain/clock";
import { VirtualClock } from "../clock";
import { assertSupportedDurableFunctionsVersion } from "./durableEngine";
import { enqueueArrival, hasSeenMessage, newEntityRecord, nextProcessable, processEntityMessage } from "./entities";
import { isDynamicEvent, newExecutionState, runEpisode, type EntityCaller, type EntityMessage, type EpisodeResult } from "./episode";
import { activityFailureReason, failureDetailsFromError } from "./failureDetails";
import { history } from "./history";
import {
  FileInstanceStore,
  MemoryInstanceStore,
  type ActivityWork,
  type EntityOutboxItem,
  type EntityRecord,
  type InstanceRecord,
  type InstanceStore,
  type RuntimeStatus,
} from "./instanceStore";
import { addActivity, instanceMetricsView, newInstanceMetrics, type ActivityStats, type InstanceMetricsView, type RunnerEvent, type RunnerEventListener, type RunnerMetrics } from "./observability";
import type { CapturedFunctions } from "./registrations";
import { TimerQueue, type TimerEntry } from "./timerQueue";
import { EventType, parseEntitySchedulerId, ReplaySchema, toJsonText, type FailureDetailsPayload, type HistoryEvent } from "./wire";

/**
 * The local Durable host: runs the registered orchestrators (through durable-functions' own replay
 * engine, see episode.ts), activities, timers, retries, entities and sub-orchestrations, persisting
 * every instance after every step.
 *
 * Scheduling, in order of preference, in one loop:
 *   1. start queued activities (up to `activityConcurrency` at once; they are real async functions);
 *   2. run one orchestration episode for an instance with undelivered events (FIFO across instances);
 *   3. run one entity operation;
 *   4. fire timers that are due on the clock;
 *   5. with activities in flight, wait for one to finish;
 *   6. otherwise, with timers pending: a VirtualClock jumps to the earliest one (nothing else can run,
 *      so a 16-minute wait passes at once); any other clock sleeps until it is due (ScaledClock:
 *      (fireAt - now) / scale real ms);
 *   7. otherwise the runtime is idle: every instance is finished or waits for an external event.
 */

/** A clock the runner can drive: VirtualClock (has `advanceTo`), ScaledClock (`realDelayUntil`) or any Clock. */
export interface RunnerClock extends Clock {
  advanceTo?(to: Date | string): void;
  realDelayUntil?(at: Date): number;
}

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

const ACTIVE: ReadonlySet<RuntimeStatus> = new Set(["Pending", "Running"]);
const isActive = (r: InstanceRecord): boolean => ACTIVE.has(r.runtimeStatus);
export const isTerminalStatus = (s: RuntimeStatus): boolean => s === "Completed" || s === "Failed" || s === "Terminated";

class Signal {
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

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

interface QueuedActivity {
  instanceId: string;
  executionId: string;
  taskId: number;
}

export class DurableRuntime {
  readonly clock: RunnerClock;
  private readonly functions: CapturedFunctions;
  private readonly store: InstanceStore;
  private readonly concurrency: number;
  private readonly options: DurableRuntimeOptions;

  private readonly records = new Map<string, InstanceRecord>();
  private readonly entityRecords = new Map<string, EntityRecord>();
  private readonly ready = new Set<string>();
  private readonly readyEntities = new Set<string>();
  private activityQueue: QueuedActivity[] = [];
  private activityHead = 0;
  private readonly runningActivities = new Set<string>();
  private readonly timers: TimerQueue;
  private readonly signal = new Signal();
  private readonly listeners = new Set<RunnerEventListener>();
  private readonly completionWaiters = new Map<string, Array<() => void>>();
  private idleWaiters: Array<{ resolve: (r: IdleReport) => void; reject: (e: unknown) => void }> = [];
  private readonly pendingTerminations = new Map<string, string>();
  private inEpisode: string | undefined;
  private looping = false;
  private keepAlive = false;
  /** With a VirtualClock, the time the current runUntilIdle may skip to (undefined: no limit). */
  private clockLimitMs: number | undefined;
  private stopRequested = false;
  private latenessState: number;
  private loopError: unknown;

  private readonly createdWallMs = Date.now();
  private readonly createdClockMs: number;
  private readonly totals = {
    episodes: 0,
    replayedEvents: 0,
    historyEvents: 0,
    episodeMs: 0,
    timersFired: 0,
    entityOperations: 0,
    activities: { calls: 0, failures: 0, busyMs: 0, maxMs: 0 } as ActivityStats,
    byName: {} as Record<string, ActivityStats>,
  };

  constructor(options: DurableRuntimeOptions) {
    if (options.checkLibraryVersion !== false) assertSupportedDurableFunctionsVersion();
    this.options = options;
    this.functions = options.functions;
    this.clock = options.clock ?? new VirtualClock();
    this.store = options.store ?? (options.stateDir ? new FileInstanceStore(options.stateDir) : new MemoryInstanceStore());
    this.concurrency = Math.max(1, options.activityConcurrency ?? 8);
    this.timers = new TimerQueue((t) => this.isTimerLive(t));
    this.latenessState = options.timerLatenessSeed ?? 1;
    if (options.onEvent) this.listeners.add(options.onEvent);
    this.recover();
    this.createdClockMs = this.clock.now().getTime();
  }

  // ---------------------------------------------------------------- public API

  /** Subscribes to runner events; returns the unsubscribe function. */
  onEvent(listener: RunnerEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Starts an orchestration, as the Durable extension does with its default
   * `overridableExistingInstanceStates: NonRunningStates` (DurableTaskOptions.cs): an instance with the
   * same id that is Pending or Running refuses the start (OrchestrationAlreadyExistsException, which
   * the HTTP API answers with 500 and durable-functions' client throws as "The operation failed with
   * an unexpected status code: 500"); a Completed, Failed or Terminated one is replaced. Callers that
   * want "once per id" check `getStatus` first.
   */
  startInstance(name: string, options: StartOptions = {}): string {
    if (!this.functions.orchestrations.has(name)) {
      throw new Error(`The function '${name}' doesn't exist, is disabled, or is not an orchestrator function (registered: ${[...this.functions.orchestrations.keys()].join(", ") || "none"})`);
    }
    const instanceId = options.instanceId ?? randomUUID().replace(/-/g, "");
    const existing = this.records.get(instanceId);
    if (existing && isActive(existing)) throw instanceAlreadyExists(existing.runtimeStatus);
    this.createInstance(name, instanceId, options.input === undefined ? undefined : JSON.stringify(options.input));
    this.signal.notify();
    return instanceId;
  }

  /** Delivers an external event. Unknown instance: throws; finished instance: dropped (the host answers 410). */
  raiseEvent(instanceId: string, eventName: string, eventData?: unknown): void {
    const rec = this.mustGet(instanceId);
    if (!isActive(rec)) return;
    const at = this.nowIso();
    rec.inbox.push(history.eventRaised(eventName, at, eventData === undefined ? undefined : JSON.stringify(eventData)));
    this.touch(rec, at);
    this.save(rec);
    this.ready.add(instanceId);
    this.emit({ type: "eventRaised", instanceId, name: rec.name, at, eventName });
    this.signal.notify();
  }

  /** Terminates a Pending or Running instance (no-op for finished ones). */
  terminate(instanceId: string, reason: string): void {
    const rec = this.mustGet(instanceId);
    if (!isActive(rec)) return;
    if (this.inEpisode === instanceId) {
      this.pendingTerminations.set(instanceId, reason);
      return;
    }
    this.terminateNow(rec, reason);
    this.signal.notify();
  }

  /** Sends a signal to an entity, as `client.signalEntity` does. */
  signalEntity(entityId: string, operation: string, input?: unknown): void {
    this.assertEntityRegistered(entityId);
    this.enqueueEntity(entityId, { kind: "signal", id: randomUUID(), operation, inputJson: input === undefined ? undefined : JSON.stringify(input) });
    this.signal.notify();
  }

  readEntity(entityId: string): { exists: boolean; stateJson: string | undefined } {
    const e = this.entityRecords.get(entityId);
    return { exists: e?.exists ?? false, stateJson: e?.stateJson };
  }

  /** A copy of the instance record (status, history, work), or undefined. */
  getInstance(instanceId: string): InstanceRecord | undefined {
    const rec = this.records.get(instanceId);
    return rec ? (JSON.parse(JSON.stringify(rec)) as InstanceRecord) : undefined;
  }

  /** The current execution's history, as recorded (numeric EventType): the format of test/fixtures/histories. */
  getHistory(instanceId: string): HistoryEvent[] {
    return this.mustGet(instanceId).exec.history.map((e) => ({ ...e }));
  }

  listInstances(): InstanceRecord[] {
    return [...this.records.values()];
  }

  /** Deletes a finished instance's record. */
  purge(instanceId: string): boolean {
    const rec = this.records.get(instanceId);
    if (!rec || isActive(rec)) return false;
    this.records.delete(instanceId);
    this.store.deleteInstance(instanceId);
    return true;
  }

  /**
   * Drives everything until nothing can run: every instance finished or waiting for an external event.
   * With a VirtualClock, pending timers fire at once; with a real or scaled clock this waits for them.
   */
  async runUntilIdle(options: RunUntilIdleOptions = {}): Promise<IdleReport> {
    if (this.looping) return new Promise((resolve, reject) => this.idleWaiters.push({ resolve, reject }));
    const done = new Promise<IdleReport>((resolve, reject) => this.idleWaiters.push({ resolve, reject }));
    this.clockLimitMs = undefined;
    if (this.clock.advanceTo) {
      if (options.advanceClockUntil !== undefined) this.clockLimitMs = new Date(options.advanceClockUntil).getTime();
      else if (options.advanceClock === false) this.clockLimitMs = this.clock.now().getTime();
    }
    void this.loop();
    return done;
  }

  /** Runs the scheduler in the background until `stop()`. Use `waitForCompletion` to await instances. */
  start(): void {
    this.keepAlive = true;
    this.stopRequested = false;
    if (!this.looping) void this.loop();
    else this.signal.notify();
  }

  /** Stops the background loop once the current step is done (activities in flight still finish and are recorded). */
  async stop(): Promise<void> {
    this.keepAlive = false;
    if (this.looping) this.stopRequested = true;
    this.signal.notify();
    while (this.runningActivities.size > 0) await this.signal.wait();
  }

  /**
   * Resolves when the instance is Completed, Failed or Terminated. Without a background loop (`start`),
   * drives the runtime itself and rejects if it goes idle first (the instance waits for an event).
   */
  async waitForCompletion(instanceId: string, options: { timeoutMs?: number } = {}): Promise<InstanceRecord> {
    const rec = this.mustGet(instanceId);
    if (isTerminalStatus(rec.runtimeStatus)) return rec;
    return new Promise<InstanceRecord>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (): void => {
        if (timer) clearTimeout(timer);
        const now = this.records.get(instanceId);
        if (now) resolve(now);
      };
      const list = this.completionWaiters.get(instanceId) ?? [];
      list.push(finish);
      this.completionWaiters.set(instanceId, list);
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.removeWaiter(instanceId, finish);
          reject(new Error(`instance ${instanceId} did not finish within ${options.timeoutMs} ms (status ${this.records.get(instanceId)?.runtimeStatus})`));
        }, options.timeoutMs);
      }
      if (!this.keepAlive) {
        this.runUntilIdle().then(
          () => {
            const now = this.records.get(instanceId);
            if (now && !isTerminalStatus(now.runtimeStatus)) {
              this.removeWaiter(instanceId, finish);
              if (timer) clearTimeout(timer);
              reject(new Error(`instance ${instanceId} is ${now.runtimeStatus} and nothing else can run: it waits for an external event`));
            }
          },
          (err: unknown) => {
            if (timer) clearTimeout(timer);
            reject(err instanceof Error ? err : new Error(String(err)));
          },
        );
      }
    });
  }

  metrics(): RunnerMetrics {
    const byStatus: Partial<Record<RuntimeStatus, number>> = {};
    for (const r of this.records.values()) byStatus[r.runtimeStatus] = (byStatus[r.runtimeStatus] ?? 0) + 1;
    const t = this.totals;
    return {
      instances: this.records.size,
      byStatus,
      episodes: t.episodes,
      replayedEvents: t.replayedEvents,
      historyEvents: t.historyEvents,
      episodeMs: t.episodeMs,
      activities: { ...t.activities, byName: JSON.parse(JSON.stringify(t.byName)) as Record<string, ActivityStats> },
      timersFired: t.timersFired,
      entityOperations: t.entityOperations,
      wallMs: Date.now() - this.createdWallMs,
      clockMs: this.clock.now().getTime() - this.createdClockMs,
    };
  }

  instanceMetrics(instanceId: string): InstanceMetricsView {
    return instanceMetricsView(this.mustGet(instanceId));
  }

  // ---------------------------------------------------------------- the loop

  private async loop(): Promise<void> {
    this.looping = true;
    try {
      for (;;) {
        if (this.stopRequested) {
          const waiters = this.idleWaiters;
          this.idleWaiters = [];
          for (const w of waiters) w.reject(new Error("the durable runtime was stopped"));
          break;
        }
        this.startActivities();
        if (this.ready.size > 0) {
          await this.runNextEpisode();
          await nextTurn(); // let activity I/O progress between episodes
          continue;
        }
        if (this.readyEntities.size > 0) {
          await this.runNextEntityStep();
          continue;
        }
        if (this.fireDueTimers()) continue;
        if (this.runningActivities.size > 0) {
          // A VirtualClock stands still while activities run; a real or scaled clock does not, so a
          // timer can come due before the activities finish.
          const due = this.clock.advanceTo ? undefined : this.timers.peek();
          if (due) await this.sleepUntil(due.at);
          else await this.signal.wait();
          continue;
        }
        const next = this.timers.peek();
        const limit = this.keepAlive ? undefined : this.clockLimitMs;
        if (next && (limit === undefined || next.at <= limit)) {
          if (this.clock.advanceTo) this.clock.advanceTo(new Date(next.at));
          else await this.sleepUntil(next.at);
          continue;
        }
        if (limit !== undefined && this.clock.advanceTo && this.clock.now().getTime() < limit) this.clock.advanceTo(new Date(limit));
        this.notifyIdle();
        if (!this.keepAlive) break;
        await this.signal.wait();
      }
    } catch (err) {
      this.loopError = err;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w.reject(err);
    } finally {
      this.looping = false;
      this.stopRequested = false;
      this.clockLimitMs = undefined;
    }
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    if (waiters.length === 0) return;
    const report = this.idleReport();
    for (const w of waiters) w.resolve(report);
  }

  private idleReport(): IdleReport {
    const byStatus: Partial<Record<RuntimeStatus, number>> = {};
    const waiting: string[] = [];
    for (const r of this.records.values()) {
      byStatus[r.runtimeStatus] = (byStatus[r.runtimeStatus] ?? 0) + 1;
      if (isActive(r)) waiting.push(r.instanceId);
    }
    const next = this.timers.peek();
    return { byStatus, waiting, clockAt: this.nowIso(), ...(next ? { nextTimerAt: next.fireAt } : {}) };
  }

  private async sleepUntil(atMs: number): Promise<void> {
    const at = new Date(atMs);
    const delay = this.clock.realDelayUntil ? this.clock.realDelayUntil(at) : atMs - this.clock.now().getTime();
    await new Promise<void>((resolve) => {
      const handle = setTimeout(resolve, Math.max(1, Math.ceil(delay)));
      void this.signal.wait().then(() => {
        clearTimeout(handle);
        resolve();
      });
    });
  }

  // ---------------------------------------------------------------- episodes

  private async runNextEpisode(): Promise<void> {
    const instanceId = this.ready.values().next().value as string;
    this.ready.delete(instanceId);
    const rec = this.records.get(instanceId);
    if (!rec || !isActive(rec) || !(rec.exec.history.length === 0 || rec.inbox.length > 0)) return;
    const at = this.nowIso();
    const handler = this.functions.orchestrations.get(rec.name);
    if (!handler) {
      this.failInstance(rec, at, `orchestrator function '${rec.name}' is not registered in this runner`);
      return;
    }
    // An event that makes the library allocate a task id (retry failure/timer, long-timer chunk) must
    // come first in its episode, and only one per episode, to keep the task counters in step.
    let count = 0;
    while (count < rec.inbox.length && (count === 0 || !isDynamicEvent(rec.exec, rec.inbox[count] as HistoryEvent))) count++;
    const batch = rec.inbox.splice(0, count);
    const executionId = rec.exec.executionId;

    this.inEpisode = instanceId;
    const started = performance.now();
    let result: EpisodeResult;
    try {
      result = await runEpisode(handler, rec.exec, batch, at, {
        logHandler: this.logHandlerFor("orchestration", rec.name, instanceId),
        verifyTaskIds: this.options.verifyTaskIds !== false,
        replaySchema: this.options.replaySchema === "V3" ? ReplaySchema.V3 : ReplaySchema.V4,
      });
    } catch (err) {
      this.inEpisode = undefined;
      if (this.records.get(instanceId) === rec && rec.exec.executionId === executionId && isActive(rec)) {
        this.failInstance(rec, at, `local durable runner error: ${err instanceof Error ? err.message : String(err)}`);
      }
      return;
    }
    this.inEpisode = undefined;
    const elapsed = performance.now() - started;
    if (this.records.get(instanceId) !== rec || rec.exec.executionId !== executionId || !isActive(rec)) return; // replaced meanwhile

    this.totals.episodes++;
    this.totals.episodeMs += elapsed;
    this.totals.replayedEvents += result.replayedEvents;
    this.totals.historyEvents += result.appended.length;
    rec.metrics.episodes++;
    rec.metrics.replayedEvents += result.replayedEvents;
    rec.metrics.historyEvents += result.appended.length;
    this.applyEpisode(rec, result, at);

    const reason = this.pendingTerminations.get(instanceId);
    if (reason !== undefined) {
      this.pendingTerminations.delete(instanceId);
      if (isActive(rec)) this.terminateNow(rec, reason);
    }
  }

  private applyEpisode(rec: InstanceRecord, result: EpisodeResult, at: string): void {
    const { outcome } = result;
    if (result.customStatusChanged) {
      this.emit({ type: "customStatus", instanceId: rec.instanceId, name: rec.name, at, customStatus: result.customStatusJson === undefined ? undefined : JSON.parse(result.customStatusJson) });
    }
    // Every entity the orchestration talks to must be registered, as on the real host.
    for (const c of result.commands) {
      if (c.type === "sendEntity" && !this.isEntityRegistered(c.entityId)) {
        this.failInstance(rec, at, `entity '${parseEntitySchedulerId(c.entityId).name}' is not registered: register it with df.app.entity (also for entities that are only locked)`);
        return;
      }
    }
    const children: Array<{ name: string; instanceId: string; inputJson: string | undefined; taskId: number }> = [];
    for (const c of result.commands) {
      switch (c.type) {
        case "runActivity":
          rec.work.activities[c.taskId] = { name: c.name, inputJson: c.inputJson, attempt: c.attempt };
          this.enqueueActivity(rec, c.taskId);
          break;
        case "failAttempt":
          if (c.target === "activity") {
            rec.work.activities[c.taskId] = { name: c.name, inputJson: undefined, attempt: 0, failWith: c.failure };
            this.enqueueActivity(rec, c.taskId);
          } else {
            rec.inbox.push(history.subOrchestrationFailed(c.taskId, at, c.failure));
          }
          break;
        case "startTimer":
          rec.work.timers[c.taskId] = c.fireAt;
          this.timers.push({ at: new Date(c.fireAt).getTime() + this.timerLatenessMs(), instanceId: rec.instanceId, executionId: rec.exec.executionId, taskId: c.taskId, fireAt: c.fireAt });
          this.emit({ type: "timerCreated", instanceId: rec.instanceId, name: rec.name, at, taskId: c.taskId, fireAt: c.fireAt, purpose: c.purpose });
          break;
        case "cancelTimer":
          if (rec.work.timers[c.taskId] !== undefined) {
            delete rec.work.timers[c.taskId];
            this.emit({ type: "timerCanceled", instanceId: rec.instanceId, name: rec.name, at, taskId: c.taskId });
          }
          break;
        case "startSubOrchestration":
          rec.work.subOrchestrations[c.taskId] = { instanceId: c.instanceId, name: c.name, inputJson: c.inputJson };
          children.push({ name: c.name, instanceId: c.instanceId, inputJson: c.inputJson, taskId: c.taskId });
          break;
        case "sendEntity":
          rec.entityOutbox.push({ entityId: c.entityId, message: c.message });
          if (c.message.kind === "call" || c.message.kind === "lock") rec.awaitingEntity[c.message.id] = true;
          if (c.message.kind === "call") rec.metrics.entityCalls++;
          break;
      }
    }

    let terminal = false;
    switch (outcome.status) {
      case "running":
        if (rec.runtimeStatus === "Pending") rec.runtimeStatus = "Running";
        break;
      case "completed":
        rec.runtimeStatus = "Completed";
        rec.outputJson = outcome.outputJson;
        terminal = true;
        break;
      case "failed":
        rec.runtimeStatus = "Failed";
        rec.outputJson = JSON.stringify(`Orchestrator function '${rec.name}' failed: ${outcome.message}`);
        rec.failure = { message: outcome.message, details: outcome.failure, nonDeterminism: outcome.nonDeterminism };
        terminal = true;
        break;
      case "continuedAsNew": {
        this.releaseLocks(rec);
        // Events that arrived but were not delivered yet carry over to the new execution; completions do not.
        const carried = rec.inbox.filter((e) => e.EventType === EventType.EventRaised);
        rec.exec = newExecutionState({ instanceId: rec.instanceId, name: rec.name, inputJson: outcome.inputJson, parentInstanceId: rec.exec.parentInstanceId });
        rec.inbox = carried;
        rec.work = { activities: {}, timers: {}, subOrchestrations: {} };
        rec.awaitingEntity = {};
        rec.runtimeStatus = "Running";
        this.emit({ type: "continuedAsNew", instanceId: rec.instanceId, name: rec.name, at });
        break;
      }
    }
    if (terminal) this.finish(rec, at);
    this.touch(rec, at);
    this.save(rec);
    for (const child of children) this.createInstance(child.name, child.instanceId, child.inputJson, { instanceId: rec.instanceId, executionId: rec.exec.executionId, taskId: child.taskId });
    this.flushInstanceOutbox(rec);
    if (terminal) this.afterFinish(rec, at);
    else if (rec.exec.history.length === 0 || rec.inbox.length > 0) this.ready.add(rec.instanceId);
  }

  private failInstance(rec: InstanceRecord, at: string, message: string): void {
    rec.exec.history.push(history.executionCompleted(at, "Failed", JSON.stringify(message)));
    rec.runtimeStatus = "Failed";
    rec.outputJson = JSON.stringify(`Orchestrator function '${rec.name}' failed: ${message}`);
    rec.failure = { message };
    this.finish(rec, at);
    this.touch(rec, at);
    this.save(rec);
    this.flushInstanceOutbox(rec);
    this.afterFinish(rec, at);
  }

  private terminateNow(rec: InstanceRecord, reason: string): void {
    const at = this.nowIso();
    rec.exec.history.push(history.executionTerminated(at, reason));
    rec.runtimeStatus = "Terminated";
    rec.outputJson = JSON.stringify(reason);
    this.finish(rec, at);
    this.touch(rec, at);
    this.save(rec);
    this.flushInstanceOutbox(rec);
    this.afterFinish(rec, at);
  }

  /**
   * Bookkeeping when an execution ends (before the save): drop work; release locks only when it
   * completed. The extension releases a critical section implicitly only after the orchestrator
   * returns normally (TaskOrchestrationShim: `ReleaseLocks()` after the user code); a Failed or
   * Terminated holder keeps its locks — orphaned until a new execution under its instance id frees them
   * (what flowdeploy's release-lock does; the extension's .NET CleanEntityStorage would too).
   */
  private finish(rec: InstanceRecord, at: string): void {
    if (rec.runtimeStatus === "Completed") this.releaseLocks(rec);
    rec.work = { activities: {}, timers: {}, subOrchestrations: {} };
    rec.inbox = [];
    rec.awaitingEntity = {};
    rec.metrics.completedWallMs = Date.now();
    rec.metrics.completedAt = at;
    if (rec.parent) rec.parentNotified = false;
  }

  /** Effects of an execution's end (after the save): notify the parent, waiters, listeners. */
  private afterFinish(rec: InstanceRecord, at: string): void {
    this.ready.delete(rec.instanceId);
    if (rec.parent) this.notifyParent(rec);
    const output = rec.outputJson === undefined ? undefined : (JSON.parse(rec.outputJson) as unknown);
    if (rec.runtimeStatus === "Completed") this.emit({ type: "completed", instanceId: rec.instanceId, name: rec.name, at, output });
    else if (rec.runtimeStatus === "Failed") this.emit({ type: "failed", instanceId: rec.instanceId, name: rec.name, at, message: rec.failure?.message ?? "", failure: rec.failure?.details });
    else if (rec.runtimeStatus === "Terminated") this.emit({ type: "terminated", instanceId: rec.instanceId, name: rec.name, at, reason: String(output) });
    const waiters = this.completionWaiters.get(rec.instanceId) ?? [];
    this.completionWaiters.delete(rec.instanceId);
    for (const w of waiters) w();
  }

  /** A critical section held (or requested) when the execution ends is released (implicit release). */
  private releaseLocks(rec: InstanceRecord): void {
    const lock = rec.exec.lock;
    if (!lock) return;
    const from: EntityCaller = { instanceId: rec.instanceId, executionId: rec.exec.executionId };
    lock.entities.forEach((entityId, i) => {
      rec.entityOutbox.push({ entityId, message: { kind: "release", id: `${lock.requestId}:implicit-release:${i}`, lockRequestId: lock.requestId, from } });
    });
    rec.exec.lock = undefined;
  }

  private createInstance(name: string, instanceId: string, inputJson: string | undefined, parent?: InstanceRecord["parent"]): InstanceRecord {
    const at = this.nowIso();
    const existing = this.records.get(instanceId);
    if (existing && isActive(existing)) {
      // Replaced: its locks are released; its work is abandoned (late results are dropped by execution id).
      this.releaseLocks(existing);
      this.flushInstanceOutbox(existing);
    }
    const rec: InstanceRecord = {
      instanceId,
      name,
      runtimeStatus: "Pending",
      createdTime: at,
      lastUpdatedTime: at,
      exec: newExecutionState({ instanceId, name, inputJson, parentInstanceId: parent?.instanceId }),
      inbox: [],
      work: { activities: {}, timers: {}, subOrchestrations: {} },
      awaitingEntity: {},
      entityOutbox: [],
      ...(parent ? { parent } : {}),
      metrics: newInstanceMetrics(at),
      clockAt: at,
    };
    this.records.set(instanceId, rec);
    this.save(rec);
    this.ready.add(instanceId);
    this.emit({ type: "started", instanceId, name, at, orchestration: name });
    return rec;
  }

  private notifyParent(child: InstanceRecord): void {
    const link = child.parent;
    if (!link) return;
    const parent = this.records.get(link.instanceId);
    if (parent && parent.exec.executionId === link.executionId && isActive(parent) && parent.work.subOrchestrations[link.taskId]) {
      const at = this.nowIso();
      delete parent.work.subOrchestrations[link.taskId];
      if (child.runtimeStatus === "Completed") {
        parent.inbox.push(history.subOrchestrationCompleted(link.taskId, at, child.outputJson ?? "null"));
      } else {
        const message = child.runtimeStatus === "Terminated" ? `sub-orchestration ${child.instanceId} was terminated` : (child.failure?.message ?? "sub-orchestration failed");
        const failure: FailureDetailsPayload = { ErrorType: child.failure?.details?.ErrorType ?? "OrchestrationFailure", ErrorMessage: message, InnerFailure: child.failure?.details };
        parent.inbox.push(history.subOrchestrationFailed(link.taskId, at, failure, message));
      }
      this.touch(parent, at);
      this.save(parent);
      this.ready.add(parent.instanceId);
    }
    child.parentNotified = true;
    this.save(child);
  }

  // ---------------------------------------------------------------- activities

  private enqueueActivity(rec: InstanceRecord, taskId: number): void {
    this.activityQueue.push({ instanceId: rec.instanceId, executionId: rec.exec.executionId, taskId });
  }

  private startActivities(): void {
    while (this.runningActivities.size < this.concurrency && this.activityHead < this.activityQueue.length) {
      const item = this.activityQueue[this.activityHead++] as QueuedActivity;
      if (this.activityHead > 1024 && this.activityHead * 2 > this.activityQueue.length) {
        this.activityQueue = this.activityQueue.slice(this.activityHead);
        this.activityHead = 0;
      }
      const rec = this.records.get(item.instanceId);
      if (!rec || rec.exec.executionId !== item.executionId || !isActive(rec)) continue;
      const work = rec.work.activities[item.taskId];
      const key = `${item.executionId}/${item.taskId}`;
      if (!work || this.runningActivities.has(key)) continue;
      this.runningActivities.add(key);
      void this.executeActivity(item, work, key);
    }
  }

  private async executeActivity(item: QueuedActivity, work: ActivityWork, key: string): Promise<void> {
    const { instanceId, taskId } = item;
    const synthetic = work.failWith !== undefined;
    if (!synthetic) this.emit({ type: "activityStarted", instanceId, name: work.name, at: this.nowIso(), taskId, attempt: work.attempt });
    const started = performance.now();
    let event: HistoryEvent;
    let failure: FailureDetailsPayload | undefined;
    if (work.failWith) {
      failure = work.failWith;
      event = history.taskFailed(taskId, this.nowIso(), failure, activityFailureReason(work.name));
    } else {
      const handler = this.functions.activities.get(work.name);
      try {
        if (!handler) throw Object.assign(new Error(`The function '${work.name}' doesn't exist, is disabled, or is not an activity function.`), { name: "FunctionNotFound" });
        const input = work.inputJson === undefined ? undefined : (JSON.parse(work.inputJson) as unknown);
        const context = new InvocationContext({ invocationId: randomUUID(), functionName: work.name, logHandler: this.logHandlerFor("activity", work.name, instanceId) });
        const output = await activityScope.run({ instanceId, name: work.name }, () => handler(input, context));
        event = history.taskCompleted(taskId, this.nowIso(), toJsonText(output));
      } catch (err) {
        failure = failureDetailsFromError(err, { properties: this.options.exceptionProperties !== false });
        event = history.taskFailed(taskId, this.nowIso(), failure, activityFailureReason(work.name));
      }
    }
    const durationMs = performance.now() - started;
    this.runningActivities.delete(key);
    const at = this.nowIso();
    const rec = this.records.get(instanceId);
    if (!synthetic) {
      addActivity(this.totals.activities, durationMs, failure !== undefined);
      addActivity((this.totals.byName[work.name] ??= { calls: 0, failures: 0, busyMs: 0, maxMs: 0 }), durationMs, failure !== undefined);
    }
    if (rec && rec.exec.executionId === item.executionId && isActive(rec) && rec.work.activities[taskId] === work) {
      delete rec.work.activities[taskId];
      rec.inbox.push(event);
      if (!synthetic) addActivity(rec.metrics.activities, durationMs, failure !== undefined);
      this.touch(rec, at);
      this.save(rec); // completed work is never redone after a restart
      this.ready.add(instanceId);
    }
    if (!synthetic) {
      if (failure) this.emit({ type: "activityFailed", instanceId, name: work.name, at, taskId, attempt: work.attempt, durationMs, failure });
      else this.emit({ type: "activityCompleted", instanceId, name: work.name, at, taskId, attempt: work.attempt, durationMs });
    }
    this.signal.notify();
  }

  // ---------------------------------------------------------------- timers

  /** How late the next timer fires (0 unless `timerLatenessSeconds` is set): a seeded sequence, so runs repeat. */
  private timerLatenessMs(): number {
    const max = this.options.timerLatenessSeconds ?? 0;
    if (max <= 0) return 0;
    this.latenessState = (this.latenessState + 0x6d2b79f5) | 0;
    let t = this.latenessState;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const unit = ((t ^ (t >>> 14)) >>> 0) / 4294967296; // mulberry32
    return Math.round(unit * max * 1000);
  }

  private isTimerLive(t: TimerEntry): boolean {
    const rec = this.records.get(t.instanceId);
    return rec !== undefined && rec.exec.executionId === t.executionId && isActive(rec) && rec.work.timers[t.taskId] === t.fireAt;
  }

  private fireDueTimers(): boolean {
    const now = this.clock.now();
    let fired = false;
    for (;;) {
      const t = this.timers.popDue(now.getTime());
      if (!t) break;
      const rec = this.records.get(t.instanceId);
      if (!rec) continue;
      const at = now.toISOString();
      delete rec.work.timers[t.taskId];
      // Not saved here: after a crash the timer is still in the saved work and fires again.
      rec.inbox.push(history.timerFired(t.taskId, at, t.fireAt));
      rec.metrics.timersFired++;
      this.totals.timersFired++;
      this.ready.add(t.instanceId);
      this.emit({ type: "timerFired", instanceId: t.instanceId, name: rec.name, at, taskId: t.taskId, fireAt: t.fireAt });
      fired = true;
    }
    return fired;
  }

  // ---------------------------------------------------------------- entities

  private isEntityRegistered(entityId: string): boolean {
    return this.functions.entities.has(parseEntitySchedulerId(entityId).name);
  }

  private assertEntityRegistered(entityId: string): void {
    if (!this.isEntityRegistered(entityId)) throw new Error(`entity '${parseEntitySchedulerId(entityId).name}' is not registered (df.app.entity)`);
  }

  private enqueueEntity(entityId: string, message: EntityMessage): void {
    let ent = this.entityRecords.get(entityId);
    if (!ent) {
      ent = newEntityRecord(entityId, this.nowIso());
      this.entityRecords.set(entityId, ent);
    }
    if (hasSeenMessage(ent, message)) return; // redelivered after a restart
    enqueueArrival(ent, message);
    this.store.saveEntity(ent);
    if (nextProcessable(ent) >= 0) this.readyEntities.add(entityId);
  }

  private async runNextEntityStep(): Promise<void> {
    const entityId = this.readyEntities.values().next().value as string;
    this.readyEntities.delete(entityId);
    const ent = this.entityRecords.get(entityId);
    if (!ent) return;
    const index = nextProcessable(ent);
    if (index < 0) return;
    const [message] = ent.queue.splice(index, 1) as [EntityMessage];
    const at = this.nowIso();
    const caller = message.from;
    try {
      const step = await processEntityMessage(ent, message, this.functions.entities.get(ent.name), at, this.logHandlerFor("entity", ent.name, entityId));
      if (step.operation !== undefined) {
        this.totals.entityOperations++;
        this.emit({ type: "entityOperation", instanceId: caller?.instanceId ?? "", name: ent.name, at, entityId, operation: step.operation, isError: step.isError === true });
      }
    } catch (err) {
      // The entity function itself crashed: answer a call with an error so the caller does not hang.
      if (message.kind === "call") {
        const response = { result: JSON.stringify(err instanceof Error ? err.message : String(err)), exceptionType: "Error" };
        ent.outbox.push({ to: "instance", caller: message.from, requestId: message.id, event: history.eventRaised(message.id, at, JSON.stringify(response)) });
      }
    }
    this.store.saveEntity(ent);
    this.flushEntityOutbox(ent);
    if (nextProcessable(ent) >= 0) this.readyEntities.add(entityId);
  }

  private flushEntityOutbox(ent: EntityRecord): void {
    if (ent.outbox.length === 0) return;
    while (ent.outbox.length > 0) {
      const item = ent.outbox[0] as EntityOutboxItem;
      if (item.to === "entity") this.enqueueEntity(item.entityId, item.message);
      else this.deliverEntityResponse(item);
      ent.outbox.shift();
    }
    this.store.saveEntity(ent);
  }

  private deliverEntityResponse(item: Extract<EntityOutboxItem, { to: "instance" }>): void {
    const rec = this.records.get(item.caller.instanceId);
    const alive = rec !== undefined && rec.exec.executionId === item.caller.executionId && isActive(rec);
    if (alive && rec.awaitingEntity[item.requestId]) {
      const at = this.nowIso();
      delete rec.awaitingEntity[item.requestId];
      if (item.event) rec.inbox.push({ ...item.event, Timestamp: at });
      this.touch(rec, at);
      this.save(rec);
      this.ready.add(rec.instanceId);
      if (item.grantedLock) this.emit({ type: "lockAcquired", instanceId: rec.instanceId, name: rec.name, at, entityIds: item.grantedLock });
    }
    // Granted to an execution that has ended: the grant is a message to a finished instance, which the
    // backend discards; the lock stays with that holder's instance id (orphaned).
  }

  /**
   * Who holds the lock of an entity (scheduler id `@name@key`), if anyone, and whether that holder
   * still runs. The extension keeps this in the entity's scheduler state (`LockedBy`).
   */
  lockHolder(entityId: string): { instanceId: string; executionId: string; running: boolean } | undefined {
    const holder = this.entityRecords.get(entityId)?.lockedBy;
    if (!holder) return undefined;
    const rec = this.records.get(holder.caller.instanceId);
    const running = rec !== undefined && rec.exec.executionId === holder.caller.executionId && isActive(rec);
    return { instanceId: holder.caller.instanceId, executionId: holder.caller.executionId, running };
  }


  private flushInstanceOutbox(rec: InstanceRecord): void {
    if (rec.entityOutbox.length === 0) return;
    for (const { entityId, message } of rec.entityOutbox) this.enqueueEntity(entityId, message);
    rec.entityOutbox = [];
    this.save(rec);
  }

  // ---------------------------------------------------------------- recovery

  /** Rebuilds queues from the state directory: work in flight re-runs, timers re-arm, outboxes redeliver. */
  private recover(): void {
    const instances = this.store.loadInstances();
    const entities = this.store.loadEntities();
    if (instances.length === 0 && entities.length === 0) return;
    let latest = 0;
    for (const rec of instances) {
      this.records.set(rec.instanceId, rec);
      latest = Math.max(latest, new Date(rec.clockAt).getTime());
    }
    for (const ent of entities) {
      this.entityRecords.set(ent.entityId, ent);
      latest = Math.max(latest, new Date(ent.lastUpdatedTime).getTime());
    }
    // A VirtualClock resumes where the killed process left it (it never moves backwards).
    if (this.clock.advanceTo && latest > 0) this.clock.advanceTo(new Date(latest));

    for (const rec of instances) {
      if (isActive(rec)) {
        // At-least-once: an activity whose completion was not saved runs again.
        for (const taskId of Object.keys(rec.work.activities)) this.enqueueActivity(rec, Number(taskId));
        for (const [taskId, fireAt] of Object.entries(rec.work.timers)) {
          this.timers.push({ at: new Date(fireAt).getTime() + this.timerLatenessMs(), instanceId: rec.instanceId, executionId: rec.exec.executionId, taskId: Number(taskId), fireAt });
        }
        if (rec.exec.history.length === 0 || rec.inbox.length > 0) this.ready.add(rec.instanceId);
        for (const [taskId, sub] of Object.entries(rec.work.subOrchestrations)) {
          const child = this.records.get(sub.instanceId);
          const linked = child?.parent?.executionId === rec.exec.executionId && child.parent.taskId === Number(taskId);
          if (!linked) this.createInstance(sub.name, sub.instanceId, sub.inputJson, { instanceId: rec.instanceId, executionId: rec.exec.executionId, taskId: Number(taskId) });
        }
      }
    }
    for (const rec of instances) {
      this.flushInstanceOutbox(rec);
      if (!isActive(rec) && rec.parent && rec.parentNotified === false) this.notifyParent(rec);
    }
    for (const ent of entities) {
      this.flushEntityOutbox(ent);
      if (nextProcessable(ent) >= 0) this.readyEntities.add(ent.entityId);
    }
  }

  // ---------------------------------------------------------------- helpers

  private mustGet(instanceId: string): InstanceRecord {
    const rec = this.records.get(instanceId);
    if (!rec) throw new Error(`No instance with ID '${instanceId}' found.`);
    return rec;
  }

  private removeWaiter(instanceId: string, fn: () => void): void {
    const list = this.completionWaiters.get(instanceId);
    if (!list) return;
    const i = list.indexOf(fn);
    if (i >= 0) list.splice(i, 1);
  }

  private save(rec: InstanceRecord): void {
    this.store.saveInstance(rec);
  }

  private touch(rec: InstanceRecord, at: string): void {
    rec.lastUpdatedTime = at;
    rec.clockAt = at;
  }

  private nowIso(): string {
    return this.clock.now().toISOString();
  }

  private emit(event: RunnerEvent): void {
    for (const l of this.listeners) l(event);
  }

  private logHandlerFor(kind: RunnerLogEntry["kind"], functionName: string, instanceId: string): (level: LogLevel, ...args: unknown[]) => void {
    const log = this.options.log;
    return log ? (level, ...args) => log({ level, kind, functionName, instanceId, args }) : () => undefined;
  }

  /** The error that stopped the scheduler loop, if one did (a runner bug, not an orchestration failure). */
  get fatalError(): unknown {
    return this.loopError;
  }
}

/** The error durable-functions' client throws when the extension refuses a start over an active instance. */
function instanceAlreadyExists(status: RuntimeStatus): Error {
  const body = {
    Message: "Something went wrong while processing your request",
    ExceptionMessage: `An Orchestration instance with the status ${status} already exists.`,
    ExceptionType: "DurableTask.Core.Exceptions.OrchestrationAlreadyExistsException",
    StackTrace: null,
  };
  return new Error(`The operation failed with an unexpected status code: 500. Details: ${JSON.stringify(body)}`);
}
