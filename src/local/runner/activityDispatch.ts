/**
 * Activity work: the queue of scheduled activity tasks, started up to the concurrency limit as real
 * async calls of the registered handlers, and each result (or failure, or a retry attempt failed
 * without running) recorded into its instance's inbox with the activity statistics.
 */
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { InvocationContext } from "@azure/functions";
import { runAsActivity } from "./activityInvocation";
import { activityFailureReason, failureDetailsFromError } from "./failureDetails";
import { history } from "./history";
import type { ActivityWork, InstanceRecord } from "./instanceStore";
import { addActivity } from "./observability";
import { isActive, type RuntimeState } from "./runtimeState";
import { toJsonText, type FailureDetailsPayload, type HistoryEvent } from "./wire";

interface QueuedActivity {
  instanceId: string;
  executionId: string;
  taskId: number;
}

export class ActivityDispatch {
  private queue: QueuedActivity[] = [];
  private head = 0;
  private readonly running = new Set<string>();

  constructor(
    private readonly state: RuntimeState,
    private readonly concurrency: number,
  ) {}

  /** Activities running now. */
  get inFlight(): number {
    return this.running.size;
  }

  /** Queues the activity task `taskId` of the instance's current execution (its work is in `rec.work.activities`). */
  enqueue(rec: InstanceRecord, taskId: number): void {
    this.queue.push({ instanceId: rec.instanceId, executionId: rec.exec.executionId, taskId });
  }

  /** Starts queued activities while fewer than `concurrency` run; skips work that is gone or obsolete. */
  startQueued(): void {
    while (this.running.size < this.concurrency && this.head < this.queue.length) {
      const item = this.queue[this.head++] as QueuedActivity;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      const rec = this.state.records.get(item.instanceId);
      if (!rec || rec.exec.executionId !== item.executionId || !isActive(rec)) continue;
      const work = rec.work.activities[item.taskId];
      const key = `${item.executionId}/${item.taskId}`;
      if (!work || this.running.has(key)) continue;
      this.running.add(key);
      void this.execute(item, work, key);
    }
  }

  private async execute(item: QueuedActivity, work: ActivityWork, key: string): Promise<void> {
    const { state } = this;
    const { instanceId, taskId } = item;
    const synthetic = work.failWith !== undefined;
    if (!synthetic) state.emit({ type: "activityStarted", instanceId, name: work.name, at: state.nowIso(), taskId, attempt: work.attempt });
    const started = performance.now();
    let event: HistoryEvent;
    let failure: FailureDetailsPayload | undefined;
    if (work.failWith) {
      failure = work.failWith;
      event = history.taskFailed(taskId, state.nowIso(), failure, activityFailureReason(work.name));
    } else {
      const handler = state.functions.activities.get(work.name);
      try {
        if (!handler) throw Object.assign(new Error(`The function '${work.name}' doesn't exist, is disabled, or is not an activity function.`), { name: "FunctionNotFound" });
        const input = work.inputJson === undefined ? undefined : (JSON.parse(work.inputJson) as unknown);
        const context = new InvocationContext({ invocationId: randomUUID(), functionName: work.name, logHandler: state.logHandlerFor("activity", work.name, instanceId) });
        const output = await runAsActivity({ instanceId, name: work.name }, () => handler(input, context));
        event = history.taskCompleted(taskId, state.nowIso(), toJsonText(output));
      } catch (err) {
        failure = failureDetailsFromError(err, { properties: state.options.exceptionProperties !== false });
        event = history.taskFailed(taskId, state.nowIso(), failure, activityFailureReason(work.name));
      }
    }
    const durationMs = performance.now() - started;
    this.running.delete(key);
    const at = state.nowIso();
    const rec = state.records.get(instanceId);
    if (!synthetic) {
      addActivity(state.totals.activities, durationMs, failure !== undefined);
      addActivity((state.totals.byName[work.name] ??= { calls: 0, failures: 0, busyMs: 0, maxMs: 0 }), durationMs, failure !== undefined);
    }
    if (rec && rec.exec.executionId === item.executionId && isActive(rec) && rec.work.activities[taskId] === work) {
      delete rec.work.activities[taskId];
      rec.inbox.push(event);
      if (!synthetic) addActivity(rec.metrics.activities, durationMs, failure !== undefined);
      state.touch(rec, at);
      state.save(rec); // completed work is never redone after a restart
      state.ready.add(instanceId);
    }
    if (!synthetic) {
      if (failure) state.emit({ type: "activityFailed", instanceId, name: work.name, at, taskId, attempt: work.attempt, durationMs, failure });
      else state.emit({ type: "activityCompleted", instanceId, name: work.name, at, taskId, attempt: work.attempt, durationMs });
    }
    state.signal.notify();
  }
}
