/**
 * The DurableRuntime façade: the local Durable host's public API (start, raise, terminate, signal,
 * read, wait, run, metrics), wiring the parts that do the work — instance lifecycle, activity
 * dispatch, timers, entity dispatch, episodes, recovery and the scheduler loop — around one shared
 * state.
 */
import { randomUUID } from "node:crypto";
import { VirtualClock } from "../clock";
import { ActivityDispatch } from "./activityDispatch";
import { assertSupportedDurableFunctionsVersion } from "./durableEngine";
import { EntityDispatch } from "./entityDispatch";
import { EpisodeDispatch } from "./episodeDispatch";
import { history } from "./history";
import { InstanceLifecycle, instanceAlreadyExists } from "./instanceLifecycle";
import { FileInstanceStore, MemoryInstanceStore, type InstanceRecord, type RuntimeStatus } from "./instanceStore";
import { instanceMetricsView, type ActivityStats, type InstanceMetricsView, type RunnerEventListener, type RunnerMetrics } from "./observability";
import { recoverFromStore } from "./recovery";
import type { DurableRuntimeOptions, IdleReport, RunnerClock, RunUntilIdleOptions, StartOptions } from "./runtimeOptions";
import { isActive, isTerminalStatus, RuntimeState } from "./runtimeState";
import { SchedulerLoop } from "./schedulerLoop";
import { TimerScheduling } from "./timerScheduling";
import type { HistoryEvent } from "./wire";

/**
 * The local Durable host: runs the registered orchestrators (through durable-functions' own replay
 * engine, see episode.ts), activities, timers, retries, entities and sub-orchestrations, persisting
 * every instance after every step. How the work is scheduled: schedulerLoop.ts.
 */
export class DurableRuntime {
  readonly clock: RunnerClock;
  private readonly state: RuntimeState;
  private readonly lifecycle: InstanceLifecycle;
  private readonly entities: EntityDispatch;
  private readonly scheduler: SchedulerLoop;

  private readonly createdWallMs = Date.now();
  private readonly createdClockMs: number;

  constructor(options: DurableRuntimeOptions) {
    if (options.checkLibraryVersion !== false) assertSupportedDurableFunctionsVersion();
    this.clock = options.clock ?? new VirtualClock();
    const store = options.store ?? (options.stateDir ? new FileInstanceStore(options.stateDir) : new MemoryInstanceStore());
    const state = (this.state = new RuntimeState(options.functions, this.clock, store, options));
    const activities = new ActivityDispatch(state, Math.max(1, options.activityConcurrency ?? 8));
    const timers = new TimerScheduling(state);
    this.entities = new EntityDispatch(state);
    this.lifecycle = new InstanceLifecycle(state, this.entities);
    const episodes = new EpisodeDispatch(state, this.lifecycle, activities, timers, this.entities);
    this.scheduler = new SchedulerLoop(state, { activities, episodes, entities: this.entities, timers });
    if (options.onEvent) state.listeners.add(options.onEvent);
    recoverFromStore(state, { lifecycle: this.lifecycle, activities, timers, entities: this.entities });
    this.createdClockMs = this.clock.now().getTime();
  }

  // ---------------------------------------------------------------- instances

  /** Subscribes to runner events; returns the unsubscribe function. */
  onEvent(listener: RunnerEventListener): () => void {
    this.state.listeners.add(listener);
    return () => this.state.listeners.delete(listener);
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
    const { functions, records, signal } = this.state;
    if (!functions.orchestrations.has(name)) {
      throw new Error(`The function '${name}' doesn't exist, is disabled, or is not an orchestrator function (registered: ${[...functions.orchestrations.keys()].join(", ") || "none"})`);
    }
    const instanceId = options.instanceId ?? randomUUID().replace(/-/g, "");
    const existing = records.get(instanceId);
    if (existing && isActive(existing)) throw instanceAlreadyExists(existing.runtimeStatus);
    this.lifecycle.create(name, instanceId, options.input === undefined ? undefined : JSON.stringify(options.input));
    signal.notify();
    return instanceId;
  }

  /** Delivers an external event. Unknown instance: throws; finished instance: dropped (the host answers 410). */
  raiseEvent(instanceId: string, eventName: string, eventData?: unknown): void {
    const { state } = this;
    const rec = state.mustGet(instanceId);
    if (!isActive(rec)) return;
    const at = state.nowIso();
    rec.inbox.push(history.eventRaised(eventName, at, eventData === undefined ? undefined : JSON.stringify(eventData)));
    state.touch(rec, at);
    state.save(rec);
    state.ready.add(instanceId);
    state.emit({ type: "eventRaised", instanceId, name: rec.name, at, eventName });
    state.signal.notify();
  }

  /** Terminates a Pending or Running instance (no-op for finished ones). */
  terminate(instanceId: string, reason: string): void {
    const { state } = this;
    const rec = state.mustGet(instanceId);
    if (!isActive(rec)) return;
    if (state.inEpisode === instanceId) {
      state.pendingTerminations.set(instanceId, reason);
      return;
    }
    this.lifecycle.terminateNow(rec, reason);
    state.signal.notify();
  }

  /** A copy of the instance record (status, history, work), or undefined. */
  getInstance(instanceId: string): InstanceRecord | undefined {
    const rec = this.state.records.get(instanceId);
    return rec ? (JSON.parse(JSON.stringify(rec)) as InstanceRecord) : undefined;
  }

  /** The current execution's history, as recorded (numeric EventType): the format of test/fixtures/histories. */
  getHistory(instanceId: string): HistoryEvent[] {
    return this.state.mustGet(instanceId).exec.history.map((e) => ({ ...e }));
  }

  listInstances(): InstanceRecord[] {
    return [...this.state.records.values()];
  }

  /** Deletes a finished instance's record. */
  purge(instanceId: string): boolean {
    const rec = this.state.records.get(instanceId);
    if (!rec || isActive(rec)) return false;
    this.state.records.delete(instanceId);
    this.state.store.deleteInstance(instanceId);
    return true;
  }

  // ---------------------------------------------------------------- entities

  /** Sends a signal to an entity, as `client.signalEntity` does. */
  signalEntity(entityId: string, operation: string, input?: unknown): void {
    this.entities.signal(entityId, operation, input);
    this.state.signal.notify();
  }

  readEntity(entityId: string): { exists: boolean; stateJson: string | undefined } {
    return this.entities.read(entityId);
  }

  /**
   * Who holds the lock of an entity (scheduler id `@name@key`), if anyone, and whether that holder
   * still runs. The extension keeps this in the entity's scheduler state (`LockedBy`).
   */
  lockHolder(entityId: string): { instanceId: string; executionId: string; running: boolean } | undefined {
    return this.entities.lockHolder(entityId);
  }

  // ---------------------------------------------------------------- running

  /**
   * Drives everything until nothing can run: every instance finished or waiting for an external event.
   * With a VirtualClock, pending timers fire at once; with a real or scaled clock this waits for them.
   */
  async runUntilIdle(options: RunUntilIdleOptions = {}): Promise<IdleReport> {
    return this.scheduler.runUntilIdle(options);
  }

  /** Runs the scheduler in the background until `stop()`. Use `waitForCompletion` to await instances. */
  start(): void {
    this.scheduler.start();
  }

  /** Stops the background loop once the current step is done (activities in flight still finish and are recorded). */
  async stop(): Promise<void> {
    await this.scheduler.stop();
  }

  /**
   * Resolves when the instance is Completed, Failed or Terminated. Without a background loop (`start`),
   * drives the runtime itself and rejects if it goes idle first (the instance waits for an event).
   */
  async waitForCompletion(instanceId: string, options: { timeoutMs?: number } = {}): Promise<InstanceRecord> {
    const { state } = this;
    const rec = state.mustGet(instanceId);
    if (isTerminalStatus(rec.runtimeStatus)) return rec;
    return new Promise<InstanceRecord>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (): void => {
        if (timer) clearTimeout(timer);
        const now = state.records.get(instanceId);
        if (now) resolve(now);
      };
      const list = state.completionWaiters.get(instanceId) ?? [];
      list.push(finish);
      state.completionWaiters.set(instanceId, list);
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          state.removeWaiter(instanceId, finish);
          reject(new Error(`instance ${instanceId} did not finish within ${options.timeoutMs} ms (status ${state.records.get(instanceId)?.runtimeStatus})`));
        }, options.timeoutMs);
      }
      if (!this.scheduler.inBackground) {
        this.runUntilIdle().then(
          () => {
            const now = state.records.get(instanceId);
            if (now && !isTerminalStatus(now.runtimeStatus)) {
              state.removeWaiter(instanceId, finish);
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

  /** The error that stopped the scheduler loop, if one did (a runner bug, not an orchestration failure). */
  get fatalError(): unknown {
    return this.scheduler.fatalError;
  }

  // ---------------------------------------------------------------- metrics

  metrics(): RunnerMetrics {
    const byStatus: Partial<Record<RuntimeStatus, number>> = {};
    for (const r of this.state.records.values()) byStatus[r.runtimeStatus] = (byStatus[r.runtimeStatus] ?? 0) + 1;
    const t = this.state.totals;
    return {
      instances: this.state.records.size,
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
    return instanceMetricsView(this.state.mustGet(instanceId));
  }
}
