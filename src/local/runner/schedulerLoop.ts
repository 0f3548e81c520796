/**
 * The scheduler loop that drives the runtime, and the ways to run it: until idle (`runUntilIdle`,
 * optionally without skipping time or only up to a moment), or in the background (`start`/`stop`).
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
import type { ActivityDispatch } from "./activityDispatch";
import type { EntityDispatch } from "./entityDispatch";
import type { EpisodeDispatch } from "./episodeDispatch";
import type { RuntimeStatus } from "./instanceStore";
import type { IdleReport, RunUntilIdleOptions } from "./runtimeOptions";
import { isActive, type RuntimeState } from "./runtimeState";
import type { TimerScheduling } from "./timerScheduling";

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export interface LoopParts {
  activities: ActivityDispatch;
  episodes: EpisodeDispatch;
  entities: EntityDispatch;
  timers: TimerScheduling;
}

export class SchedulerLoop {
  private idleWaiters: Array<{ resolve: (r: IdleReport) => void; reject: (e: unknown) => void }> = [];
  private looping = false;
  private keepAlive = false;
  /** With a VirtualClock, the time the current runUntilIdle may skip to (undefined: no limit). */
  private clockLimitMs: number | undefined;
  private stopRequested = false;
  private loopError: unknown;

  constructor(
    private readonly state: RuntimeState,
    private readonly parts: LoopParts,
  ) {}

  /** True while the loop runs in the background (`start` without `stop`). */
  get inBackground(): boolean {
    return this.keepAlive;
  }

  /** The error that stopped the loop, if one did (a runner bug, not an orchestration failure). */
  get fatalError(): unknown {
    return this.loopError;
  }

  /** Runs the loop until idle (or joins the run under way) and resolves with the idle report. */
  runUntilIdle(options: RunUntilIdleOptions = {}): Promise<IdleReport> {
    if (this.looping) return new Promise((resolve, reject) => this.idleWaiters.push({ resolve, reject }));
    const done = new Promise<IdleReport>((resolve, reject) => this.idleWaiters.push({ resolve, reject }));
    const { clock } = this.state;
    this.clockLimitMs = undefined;
    if (clock.advanceTo) {
      if (options.advanceClockUntil !== undefined) this.clockLimitMs = new Date(options.advanceClockUntil).getTime();
      else if (options.advanceClock === false) this.clockLimitMs = clock.now().getTime();
    }
    void this.loop();
    return done;
  }

  start(): void {
    this.keepAlive = true;
    this.stopRequested = false;
    if (!this.looping) void this.loop();
    else this.state.signal.notify();
  }

  async stop(): Promise<void> {
    this.keepAlive = false;
    if (this.looping) this.stopRequested = true;
    this.state.signal.notify();
    while (this.parts.activities.inFlight > 0) await this.state.signal.wait();
  }

  private async loop(): Promise<void> {
    const { state } = this;
    const { activities, episodes, entities, timers } = this.parts;
    const { clock } = state;
    this.looping = true;
    try {
      for (;;) {
        if (this.stopRequested) {
          const waiters = this.idleWaiters;
          this.idleWaiters = [];
          for (const w of waiters) w.reject(new Error("the durable runtime was stopped"));
          break;
        }
        activities.startQueued();
        if (state.ready.size > 0) {
          await episodes.runNext();
          await nextTurn(); // let activity I/O progress between episodes
          continue;
        }
        if (state.readyEntities.size > 0) {
          await entities.runNextStep();
          continue;
        }
        if (timers.fireDue()) continue;
        if (activities.inFlight > 0) {
          // A VirtualClock stands still while activities run; a real or scaled clock does not, so a
          // timer can come due before the activities finish.
          const due = clock.advanceTo ? undefined : timers.peek();
          if (due) await this.sleepUntil(due.at);
          else await state.signal.wait();
          continue;
        }
        const next = timers.peek();
        const limit = this.keepAlive ? undefined : this.clockLimitMs;
        if (next && (limit === undefined || next.at <= limit)) {
          if (clock.advanceTo) clock.advanceTo(new Date(next.at));
          else await this.sleepUntil(next.at);
          continue;
        }
        if (limit !== undefined && clock.advanceTo && clock.now().getTime() < limit) clock.advanceTo(new Date(limit));
        this.notifyIdle();
        if (!this.keepAlive) break;
        await state.signal.wait();
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
    for (const r of this.state.records.values()) {
      byStatus[r.runtimeStatus] = (byStatus[r.runtimeStatus] ?? 0) + 1;
      if (isActive(r)) waiting.push(r.instanceId);
    }
    const next = this.parts.timers.peek();
    return { byStatus, waiting, clockAt: this.state.nowIso(), ...(next ? { nextTimerAt: next.fireAt } : {}) };
  }

  private async sleepUntil(atMs: number): Promise<void> {
    const { clock, signal } = this.state;
    const at = new Date(atMs);
    const delay = clock.realDelayUntil ? clock.realDelayUntil(at) : atMs - clock.now().getTime();
    await new Promise<void>((resolve) => {
      const handle = setTimeout(resolve, Math.max(1, Math.ceil(delay)));
      void signal.wait().then(() => {
        clearTimeout(handle);
        resolve();
      });
    });
  }
}
