/**
 * An orchestration instance from creation to its end: create (or replace) an instance, fail or
 * terminate it, the bookkeeping when an execution ends (work dropped, locks released or kept), and
 * the effects after (parent notified, completion waiters and listeners told). Also the error the
 * client throws when a start meets an active instance.
 */
import { newExecutionState, type EntityCaller } from "./episode";
import type { EntityDispatch } from "./entityDispatch";
import { history } from "./history";
import type { InstanceRecord, RuntimeStatus } from "./instanceStore";
import { newInstanceMetrics } from "./observability";
import { isActive, type RuntimeState } from "./runtimeState";
import type { FailureDetailsPayload } from "./wire";

export class InstanceLifecycle {
  constructor(
    private readonly state: RuntimeState,
    private readonly entities: EntityDispatch,
  ) {}

  create(name: string, instanceId: string, inputJson: string | undefined, parent?: InstanceRecord["parent"]): InstanceRecord {
    const { state } = this;
    const at = state.nowIso();
    const existing = state.records.get(instanceId);
    if (existing && isActive(existing)) {
      // Replaced: its locks are released; its work is abandoned (late results are dropped by execution id).
      this.releaseLocks(existing);
      this.entities.flushInstanceOutbox(existing);
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
    state.records.set(instanceId, rec);
    state.save(rec);
    state.ready.add(instanceId);
    state.emit({ type: "started", instanceId, name, at, orchestration: name });
    return rec;
  }

  fail(rec: InstanceRecord, at: string, message: string): void {
    rec.exec.history.push(history.executionCompleted(at, "Failed", JSON.stringify(message)));
    rec.runtimeStatus = "Failed";
    rec.outputJson = JSON.stringify(`Orchestrator function '${rec.name}' failed: ${message}`);
    rec.failure = { message };
    this.endAndRecord(rec, at);
  }

  terminateNow(rec: InstanceRecord, reason: string): void {
    const at = this.state.nowIso();
    rec.exec.history.push(history.executionTerminated(at, reason));
    rec.runtimeStatus = "Terminated";
    rec.outputJson = JSON.stringify(reason);
    this.endAndRecord(rec, at);
  }

  /**
   * Bookkeeping when an execution ends (before the save): drop work; release locks only when it
   * completed. The extension releases a critical section implicitly only after the orchestrator
   * returns normally (TaskOrchestrationShim: `ReleaseLocks()` after the user code); a Failed or
   * Terminated holder keeps its locks — orphaned until a new execution under its instance id frees them
   * (what flowdeploy's release-lock does; the extension's .NET CleanEntityStorage would too).
   */
  finish(rec: InstanceRecord, at: string): void {
    if (rec.runtimeStatus === "Completed") this.releaseLocks(rec);
    rec.work = { activities: {}, timers: {}, subOrchestrations: {} };
    rec.inbox = [];
    rec.awaitingEntity = {};
    rec.metrics.completedWallMs = Date.now();
    rec.metrics.completedAt = at;
    if (rec.parent) rec.parentNotified = false;
  }

  /** Effects of an execution's end (after the save): notify the parent, waiters, listeners. */
  afterFinish(rec: InstanceRecord, at: string): void {
    const { state } = this;
    state.ready.delete(rec.instanceId);
    if (rec.parent) this.notifyParent(rec);
    const output = rec.outputJson === undefined ? undefined : (JSON.parse(rec.outputJson) as unknown);
    if (rec.runtimeStatus === "Completed") state.emit({ type: "completed", instanceId: rec.instanceId, name: rec.name, at, output });
    else if (rec.runtimeStatus === "Failed") state.emit({ type: "failed", instanceId: rec.instanceId, name: rec.name, at, message: rec.failure?.message ?? "", failure: rec.failure?.details });
    else if (rec.runtimeStatus === "Terminated") state.emit({ type: "terminated", instanceId: rec.instanceId, name: rec.name, at, reason: String(output) });
    const waiters = state.completionWaiters.get(rec.instanceId) ?? [];
    state.completionWaiters.delete(rec.instanceId);
    for (const w of waiters) w();
  }

  /** A critical section held (or requested) when the execution ends is released (implicit release). */
  releaseLocks(rec: InstanceRecord): void {
    const lock = rec.exec.lock;
    if (!lock) return;
    const from: EntityCaller = { instanceId: rec.instanceId, executionId: rec.exec.executionId };
    lock.entities.forEach((entityId, i) => {
      rec.entityOutbox.push({ entityId, message: { kind: "release", id: `${lock.requestId}:implicit-release:${i}`, lockRequestId: lock.requestId, from } });
    });
    rec.exec.lock = undefined;
  }

  /** Hands a finished sub-orchestration's result to its parent, when that parent execution still waits for it. */
  notifyParent(child: InstanceRecord): void {
    const { state } = this;
    const link = child.parent;
    if (!link) return;
    const parent = state.records.get(link.instanceId);
    if (parent && parent.exec.executionId === link.executionId && isActive(parent) && parent.work.subOrchestrations[link.taskId]) {
      const at = state.nowIso();
      delete parent.work.subOrchestrations[link.taskId];
      if (child.runtimeStatus === "Completed") {
        parent.inbox.push(history.subOrchestrationCompleted(link.taskId, at, child.outputJson ?? "null"));
      } else {
        const message = child.runtimeStatus === "Terminated" ? `sub-orchestration ${child.instanceId} was terminated` : (child.failure?.message ?? "sub-orchestration failed");
        const failure: FailureDetailsPayload = { ErrorType: child.failure?.details?.ErrorType ?? "OrchestrationFailure", ErrorMessage: message, InnerFailure: child.failure?.details };
        parent.inbox.push(history.subOrchestrationFailed(link.taskId, at, failure, message));
      }
      state.touch(parent, at);
      state.save(parent);
      state.ready.add(parent.instanceId);
    }
    child.parentNotified = true;
    state.save(child);
  }

  /** The common tail of fail and terminate: end the execution, record it, send its releases, tell everyone. */
  private endAndRecord(rec: InstanceRecord, at: string): void {
    this.finish(rec, at);
    this.state.touch(rec, at);
    this.state.save(rec);
    this.entities.flushInstanceOutbox(rec);
    this.afterFinish(rec, at);
  }
}

/** The error durable-functions' client throws when the extension refuses a start over an active instance. */
export function instanceAlreadyExists(status: RuntimeStatus): Error {
  const body = {
    Message: "Something went wrong while processing your request",
    ExceptionMessage: `An Orchestration instance with the status ${status} already exists.`,
    ExceptionType: "DurableTask.Core.Exceptions.OrchestrationAlreadyExistsException",
    StackTrace: null,
  };
  return new Error(`The operation failed with an unexpected status code: 500. Details: ${JSON.stringify(body)}`);
}
