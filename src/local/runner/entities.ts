import { randomUUID } from "node:crypto";
import { InvocationContext, type LogHandler } from "@azure/functions";
import * as df from "durable-functions";
import type { EntityMessage } from "./episode";
import { history } from "./history";
import type { EntityRecord } from "./instanceStore";
import type { HostHandler } from "./registrations";
import { entitySchedulerId, parseEntitySchedulerId } from "./wire";

/**
 * The host's entity scheduler, one entity at a time: a FIFO queue per entity, critical-section locks,
 * and operations run through the handler `df.app.entity` registered (batch of one operation).
 *
 * Locks (`context.df.lock`, replay schema V4): a lock request visits the entities of its (sorted) lock
 * set in order; each one, when free, records the holder and forwards the request to the next; the last
 * one answers the orchestration with an EventRaised named after the lock request id. While locked, an
 * entity runs only the holder's messages and releases; everything else waits in its queue.
 *
 * The holder is an orchestration *instance id*, as in the extension's entity scheduler (used for
 * out-of-process apps): messages whose parent instance is `LockedBy` go first, a lock request from
 * it is granted again, and a release frees the lock when its parent instance is `LockedBy`; the lock
 * request id is only traced (azure-functions-durable-extension DurableTaskExtension.cs, entity batch:
 * lock-holder messages and ReleaseMessage handling; durabletask TaskEntityDispatcher.cs alike).
 */

export function newEntityRecord(entityId: string, at: string): EntityRecord {
  const { name, key } = parseEntitySchedulerId(entityId);
  return { entityId, name, key, exists: false, queue: [], outbox: [], operations: 0, lastUpdatedTime: at };
}

/**
 * Index of the next message the entity may process, or -1: only the head of its queue, and while
 * locked only if the head comes from the holder's instance (or is a release) — the extension's
 * `SchedulerState.MayDequeue`: `LockedBy == null || LockedBy == Queue.Peek().ParentInstanceId`.
 */
export function nextProcessable(entity: EntityRecord): number {
  const head = entity.queue[0];
  if (!head) return -1;
  const holder = entity.lockedBy;
  if (!holder || head.kind === "release") return 0;
  return head.from !== undefined && head.from.instanceId === holder.caller.instanceId ? 0 : -1;
}

/**
 * Where an arriving message joins the queue: releases take effect on arrival and messages from the
 * lock holder's instance go to the front; everything else waits at the back. A holder's message that
 * arrived before it took the lock stays where it was (the extension moves only arrivals while locked:
 * DurableTaskExtension.cs, `lockHolderMessages` put back at the front of the queue).
 */
export function enqueueArrival(entity: EntityRecord, message: EntityMessage): void {
  const fromHolder = entity.lockedBy !== undefined && message.from !== undefined && message.from.instanceId === entity.lockedBy.caller.instanceId;
  if (message.kind === "release" || fromHolder) entity.queue.unshift(message);
  else entity.queue.push(message);
}

/**
 * True when the entity already received (or answered) this message: redelivery after a restart is
 * dropped. A lock grant counts as seen only for the same execution: a new execution under the
 * holder's instance id may derive the same request id (its GUIDs come from instance id and time).
 */
export function hasSeenMessage(entity: EntityRecord, message: EntityMessage): boolean {
  const id = message.id;
  if (entity.lockedBy?.requestId === id && entity.lockedBy.caller.executionId === message.from?.executionId) return true;
  if (entity.queue.some((m) => m.id === id)) return true;
  return entity.outbox.some((o) => (o.to === "instance" ? o.requestId === id : o.message.id === id));
}

interface EntityStateOut {
  entityExists: boolean;
  entityState?: string;
  results: Array<{ isError: boolean; duration?: number; result?: string }>;
  signals: Array<{ target: { name: string; key: string }; name: string; input?: string }>;
}

export interface EntityStepResult {
  operation?: string;
  isError?: boolean;
}

/**
 * Processes `message` on `entity` (mutates it: state, lock, outbox). Operations call `handler`;
 * locks and releases are handled by the scheduler itself.
 */
export async function processEntityMessage(entity: EntityRecord, message: EntityMessage, handler: HostHandler | undefined, at: string, logHandler?: LogHandler): Promise<EntityStepResult> {
  entity.lastUpdatedTime = at;
  switch (message.kind) {
    case "lock": {
      entity.lockedBy = { caller: message.from, requestId: message.id };
      const next = message.lockSet[message.position + 1];
      if (next !== undefined) {
        entity.outbox.push({ to: "entity", entityId: next, message: { ...message, position: message.position + 1 } });
      } else {
        // The library ignores the payload of a lock grant (LockTask resolves to its DurableLock).
        entity.outbox.push({
          to: "instance",
          caller: message.from,
          requestId: message.id,
          event: history.eventRaised(message.id, at, JSON.stringify({ result: null })),
          grantedLock: message.lockSet,
        });
      }
      return {};
    }
    case "release": {
      if (entity.lockedBy?.caller.instanceId === message.from.instanceId) entity.lockedBy = undefined;
      // The same lock request still queued here (the orchestration ended before it was granted) is abandoned.
      entity.queue = entity.queue.filter((m) => !(m.kind === "lock" && m.id === message.lockRequestId));
      return {};
    }
    case "call":
    case "signal": {
      if (!handler) throw new Error(`entity '${entity.name}' is not registered (df.app.entity)`);
      const binding = {
        self: new df.EntityId(entity.name, entity.key),
        exists: entity.exists,
        state: entity.stateJson,
        batch: [{ name: message.operation, input: message.inputJson, id: message.id, signal: message.kind === "signal" }],
      };
      const context = new InvocationContext({ invocationId: randomUUID(), functionName: entity.name, logHandler: logHandler ?? (() => undefined) });
      const out = (await handler(binding, context)) as EntityStateOut;
      entity.exists = out.entityExists;
      entity.stateJson = out.entityState;
      entity.operations++;
      const result = out.results[0];
      for (const s of out.signals) {
        entity.outbox.push({
          to: "entity",
          entityId: entitySchedulerId(s.target.name, s.target.key),
          message: { kind: "signal", id: randomUUID(), operation: s.name, inputJson: s.input ? s.input : undefined },
        });
      }
      if (message.kind === "call") {
        // ResponseMessage: `result` is JSON text; `exceptionType` makes the library fail the call.
        const response = { result: result?.result, ...(result?.isError ? { exceptionType: "Error" } : {}) };
        entity.outbox.push({ to: "instance", caller: message.from, requestId: message.id, event: history.eventRaised(message.id, at, JSON.stringify(response)) });
      }
      return { operation: message.operation, isError: result?.isError === true };
    }
  }
}

