/**
 * Resuming from the state directory after a restart: the saved instances and entities are loaded, a
 * VirtualClock moves to where the killed process left it, unfinished activities run again
 * (at-least-once), timers re-arm, missing sub-orchestrations start, and undelivered outboxes and
 * parent notifications go out.
 */
import type { ActivityDispatch } from "./activityDispatch";
import type { EntityDispatch } from "./entityDispatch";
import { nextProcessable } from "./entities";
import type { InstanceLifecycle } from "./instanceLifecycle";
import { isActive, type RuntimeState } from "./runtimeState";
import type { TimerScheduling } from "./timerScheduling";

export interface RecoveryParts {
  lifecycle: InstanceLifecycle;
  activities: ActivityDispatch;
  timers: TimerScheduling;
  entities: EntityDispatch;
}

/** Rebuilds queues from the state directory: work in flight re-runs, timers re-arm, outboxes redeliver. */
export function recoverFromStore(state: RuntimeState, { lifecycle, activities, timers, entities }: RecoveryParts): void {
  const instances = state.store.loadInstances();
  const entityRecords = state.store.loadEntities();
  if (instances.length === 0 && entityRecords.length === 0) return;
  let latest = 0;
  for (const rec of instances) {
    state.records.set(rec.instanceId, rec);
    latest = Math.max(latest, new Date(rec.clockAt).getTime());
  }
  for (const ent of entityRecords) {
    state.entityRecords.set(ent.entityId, ent);
    latest = Math.max(latest, new Date(ent.lastUpdatedTime).getTime());
  }
  // A VirtualClock resumes where the killed process left it (it never moves backwards).
  if (state.clock.advanceTo && latest > 0) state.clock.advanceTo(new Date(latest));

  for (const rec of instances) {
    if (isActive(rec)) {
      // At-least-once: an activity whose completion was not saved runs again.
      for (const taskId of Object.keys(rec.work.activities)) activities.enqueue(rec, Number(taskId));
      for (const [taskId, fireAt] of Object.entries(rec.work.timers)) timers.arm(rec, Number(taskId), fireAt);
      if (rec.exec.history.length === 0 || rec.inbox.length > 0) state.ready.add(rec.instanceId);
      for (const [taskId, sub] of Object.entries(rec.work.subOrchestrations)) {
        const child = state.records.get(sub.instanceId);
        const linked = child?.parent?.executionId === rec.exec.executionId && child.parent.taskId === Number(taskId);
        if (!linked) lifecycle.create(sub.name, sub.instanceId, sub.inputJson, { instanceId: rec.instanceId, executionId: rec.exec.executionId, taskId: Number(taskId) });
      }
    }
  }
  for (const rec of instances) {
    entities.flushInstanceOutbox(rec);
    if (!isActive(rec) && rec.parent && rec.parentNotified === false) lifecycle.notifyParent(rec);
  }
  for (const ent of entityRecords) {
    entities.flushEntityOutbox(ent);
    if (nextProcessable(ent) >= 0) state.readyEntities.add(ent.entityId);
  }
}
