/**
 * Durable timers: arming a timer (with the optional seeded lateness that models the storage
 * backend's queue polling), firing the ones due on the clock into their instances' inboxes, and the
 * earliest live timer the scheduler loop waits for or skips to.
 */
import { history } from "./history";
import type { InstanceRecord } from "./instanceStore";
import { isActive, type RuntimeState } from "./runtimeState";
import { TimerQueue, type TimerEntry } from "./timerQueue";

export class TimerScheduling {
  private readonly queue: TimerQueue;
  private latenessState: number;

  constructor(private readonly state: RuntimeState) {
    this.queue = new TimerQueue((t) => this.isLive(t));
    this.latenessState = state.options.timerLatenessSeed ?? 1;
  }

  /** Arms timer `taskId` of the instance's current execution, due at `fireAt` (plus any lateness). */
  arm(rec: InstanceRecord, taskId: number, fireAt: string): void {
    this.queue.push({ at: new Date(fireAt).getTime() + this.latenessMs(), instanceId: rec.instanceId, executionId: rec.exec.executionId, taskId, fireAt });
  }

  /** The earliest live timer, if any. */
  peek(): TimerEntry | undefined {
    return this.queue.peek();
  }

  /** Fires every timer due on the clock; true when one fired. */
  fireDue(): boolean {
    const { state } = this;
    const now = state.clock.now();
    let fired = false;
    for (;;) {
      const t = this.queue.popDue(now.getTime());
      if (!t) break;
      const rec = state.records.get(t.instanceId);
      if (!rec) continue;
      const at = now.toISOString();
      delete rec.work.timers[t.taskId];
      // Not saved here: after a crash the timer is still in the saved work and fires again.
      rec.inbox.push(history.timerFired(t.taskId, at, t.fireAt));
      rec.metrics.timersFired++;
      state.totals.timersFired++;
      state.ready.add(t.instanceId);
      state.emit({ type: "timerFired", instanceId: t.instanceId, name: rec.name, at, taskId: t.taskId, fireAt: t.fireAt });
      fired = true;
    }
    return fired;
  }

  /** How late the next timer fires (0 unless `timerLatenessSeconds` is set): a seeded sequence, so runs repeat. */
  private latenessMs(): number {
    const max = this.state.options.timerLatenessSeconds ?? 0;
    if (max <= 0) return 0;
    this.latenessState = (this.latenessState + 0x6d2b79f5) | 0;
    let t = this.latenessState;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const unit = ((t ^ (t >>> 14)) >>> 0) / 4294967296; // mulberry32
    return Math.round(unit * max * 1000);
  }

  private isLive(t: TimerEntry): boolean {
    const rec = this.state.records.get(t.instanceId);
    return rec !== undefined && rec.exec.executionId === t.executionId && isActive(rec) && rec.work.timers[t.taskId] === t.fireAt;
  }
}
