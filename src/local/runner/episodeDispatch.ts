/**
 * Orchestration episodes: picks the next instance with undelivered events, runs one episode of its
 * orchestrator through durable-functions' replay engine (episode.ts), and applies the result — work
 * handed to activities, timers, sub-orchestrations and entities; the new runtime status; continue-as-new;
 * a termination asked for while the episode ran.
 */
import { performance } from "node:perf_hooks";
import type { ActivityDispatch } from "./activityDispatch";
import type { EntityDispatch } from "./entityDispatch";
import { isDynamicEvent, newExecutionState, runEpisode, type EpisodeResult } from "./episode";
import { history } from "./history";
import type { InstanceLifecycle } from "./instanceLifecycle";
import type { InstanceRecord } from "./instanceStore";
import { isActive, type RuntimeState } from "./runtimeState";
import type { TimerScheduling } from "./timerScheduling";
import { EventType, parseEntitySchedulerId, ReplaySchema, type HistoryEvent } from "./wire";

export class EpisodeDispatch {
  constructor(
    private readonly state: RuntimeState,
    private readonly lifecycle: InstanceLifecycle,
    private readonly activities: ActivityDispatch,
    private readonly timers: TimerScheduling,
    private readonly entities: EntityDispatch,
  ) {}

  /** Runs one episode of the next ready instance (if it still has something to deliver) and records it. */
  async runNext(): Promise<void> {
    const { state } = this;
    const instanceId = state.ready.values().next().value as string;
    state.ready.delete(instanceId);
    const rec = state.records.get(instanceId);
    if (!rec || !isActive(rec) || !(rec.exec.history.length === 0 || rec.inbox.length > 0)) return;
    const at = state.nowIso();
    const handler = state.functions.orchestrations.get(rec.name);
    if (!handler) {
      this.lifecycle.fail(rec, at, `orchestrator function '${rec.name}' is not registered in this runner`);
      return;
    }
    // An event that makes the library allocate a task id (retry failure/timer, long-timer chunk) must
    // come first in its episode, and only one per episode, to keep the task counters in step.
    let count = 0;
    while (count < rec.inbox.length && (count === 0 || !isDynamicEvent(rec.exec, rec.inbox[count] as HistoryEvent))) count++;
    const batch = rec.inbox.splice(0, count);
    const executionId = rec.exec.executionId;

    state.inEpisode = instanceId;
    const started = performance.now();
    let result: EpisodeResult;
    try {
      result = await runEpisode(handler, rec.exec, batch, at, {
        logHandler: state.logHandlerFor("orchestration", rec.name, instanceId),
        verifyTaskIds: state.options.verifyTaskIds !== false,
        replaySchema: state.options.replaySchema === "V3" ? ReplaySchema.V3 : ReplaySchema.V4,
      });
    } catch (err) {
      state.inEpisode = undefined;
      if (state.records.get(instanceId) === rec && rec.exec.executionId === executionId && isActive(rec)) {
        this.lifecycle.fail(rec, at, `local durable runner error: ${err instanceof Error ? err.message : String(err)}`);
      }
      return;
    }
    state.inEpisode = undefined;
    const elapsed = performance.now() - started;
    if (state.records.get(instanceId) !== rec || rec.exec.executionId !== executionId || !isActive(rec)) return; // replaced meanwhile

    state.totals.episodes++;
    state.totals.episodeMs += elapsed;
    state.totals.replayedEvents += result.replayedEvents;
    state.totals.historyEvents += result.appended.length;
    rec.metrics.episodes++;
    rec.metrics.replayedEvents += result.replayedEvents;
    rec.metrics.historyEvents += result.appended.length;
    this.apply(rec, result, at);

    const reason = state.pendingTerminations.get(instanceId);
    if (reason !== undefined) {
      state.pendingTerminations.delete(instanceId);
      if (isActive(rec)) this.lifecycle.terminateNow(rec, reason);
    }
  }

  private apply(rec: InstanceRecord, result: EpisodeResult, at: string): void {
    const { state, lifecycle } = this;
    const { outcome } = result;
    if (result.customStatusChanged) {
      state.emit({ type: "customStatus", instanceId: rec.instanceId, name: rec.name, at, customStatus: result.customStatusJson === undefined ? undefined : JSON.parse(result.customStatusJson) });
    }
    // Every entity the orchestration talks to must be registered, as on the real host.
    for (const c of result.commands) {
      if (c.type === "sendEntity" && !this.entities.isRegistered(c.entityId)) {
        lifecycle.fail(rec, at, `entity '${parseEntitySchedulerId(c.entityId).name}' is not registered: register it with df.app.entity (also for entities that are only locked)`);
        return;
      }
    }
    const children: Array<{ name: string; instanceId: string; inputJson: string | undefined; taskId: number }> = [];
    for (const c of result.commands) {
      switch (c.type) {
        case "runActivity":
          rec.work.activities[c.taskId] = { name: c.name, inputJson: c.inputJson, attempt: c.attempt };
          this.activities.enqueue(rec, c.taskId);
          break;
        case "failAttempt":
          if (c.target === "activity") {
            rec.work.activities[c.taskId] = { name: c.name, inputJson: undefined, attempt: 0, failWith: c.failure };
            this.activities.enqueue(rec, c.taskId);
          } else {
            rec.inbox.push(history.subOrchestrationFailed(c.taskId, at, c.failure));
          }
          break;
        case "startTimer":
          rec.work.timers[c.taskId] = c.fireAt;
          this.timers.arm(rec, c.taskId, c.fireAt);
          state.emit({ type: "timerCreated", instanceId: rec.instanceId, name: rec.name, at, taskId: c.taskId, fireAt: c.fireAt, purpose: c.purpose });
          break;
        case "cancelTimer":
          if (rec.work.timers[c.taskId] !== undefined) {
            delete rec.work.timers[c.taskId];
            state.emit({ type: "timerCanceled", instanceId: rec.instanceId, name: rec.name, at, taskId: c.taskId });
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
        lifecycle.releaseLocks(rec);
        // Events that arrived but were not delivered yet carry over to the new execution; completions do not.
        const carried = rec.inbox.filter((e) => e.EventType === EventType.EventRaised);
        rec.exec = newExecutionState({ instanceId: rec.instanceId, name: rec.name, inputJson: outcome.inputJson, parentInstanceId: rec.exec.parentInstanceId });
        rec.inbox = carried;
        rec.work = { activities: {}, timers: {}, subOrchestrations: {} };
        rec.awaitingEntity = {};
        rec.runtimeStatus = "Running";
        state.emit({ type: "continuedAsNew", instanceId: rec.instanceId, name: rec.name, at });
        break;
      }
    }
    if (terminal) lifecycle.finish(rec, at);
    state.touch(rec, at);
    state.save(rec);
    for (const child of children) lifecycle.create(child.name, child.instanceId, child.inputJson, { instanceId: rec.instanceId, executionId: rec.exec.executionId, taskId: child.taskId });
    this.entities.flushInstanceOutbox(rec);
    if (terminal) lifecycle.afterFinish(rec, at);
    else if (rec.exec.history.length === 0 || rec.inbox.length > 0) state.ready.add(rec.instanceId);
  }
}
