/**
 * Routing between orchestrations and entities: messages into an entity's queue (deduplicated after a
 * restart), one entity operation at a time through the entity scheduler (entities.ts), the entity's
 * outbox delivered to other entities and to waiting orchestrations, an instance's entity outbox
 * flushed, and who holds an entity's lock.
 */
import { randomUUID } from "node:crypto";
import { enqueueArrival, hasSeenMessage, newEntityRecord, nextProcessable, processEntityMessage } from "./entities";
import type { EntityMessage } from "./episode";
import { history } from "./history";
import type { EntityOutboxItem, EntityRecord, InstanceRecord } from "./instanceStore";
import { isActive, type RuntimeState } from "./runtimeState";
import { parseEntitySchedulerId } from "./wire";

export class EntityDispatch {
  constructor(private readonly state: RuntimeState) {}

  isRegistered(entityId: string): boolean {
    return this.state.functions.entities.has(parseEntitySchedulerId(entityId).name);
  }

  assertRegistered(entityId: string): void {
    if (!this.isRegistered(entityId)) throw new Error(`entity '${parseEntitySchedulerId(entityId).name}' is not registered (df.app.entity)`);
  }

  /** Sends a signal to an entity from outside any orchestration, as `client.signalEntity` does. */
  signal(entityId: string, operation: string, input: unknown): void {
    this.assertRegistered(entityId);
    this.enqueue(entityId, { kind: "signal", id: randomUUID(), operation, inputJson: input === undefined ? undefined : JSON.stringify(input) });
  }

  read(entityId: string): { exists: boolean; stateJson: string | undefined } {
    const e = this.state.entityRecords.get(entityId);
    return { exists: e?.exists ?? false, stateJson: e?.stateJson };
  }

  enqueue(entityId: string, message: EntityMessage): void {
    const { state } = this;
    let ent = state.entityRecords.get(entityId);
    if (!ent) {
      ent = newEntityRecord(entityId, state.nowIso());
      state.entityRecords.set(entityId, ent);
    }
    if (hasSeenMessage(ent, message)) return; // redelivered after a restart
    enqueueArrival(ent, message);
    state.store.saveEntity(ent);
    if (nextProcessable(ent) >= 0) state.readyEntities.add(entityId);
  }

  /** Runs one operation of the next ready entity and delivers what it sent. */
  async runNextStep(): Promise<void> {
    const { state } = this;
    const entityId = state.readyEntities.values().next().value as string;
    state.readyEntities.delete(entityId);
    const ent = state.entityRecords.get(entityId);
    if (!ent) return;
    const index = nextProcessable(ent);
    if (index < 0) return;
    const [message] = ent.queue.splice(index, 1) as [EntityMessage];
    const at = state.nowIso();
    const caller = message.from;
    try {
      const step = await processEntityMessage(ent, message, state.functions.entities.get(ent.name), at, state.logHandlerFor("entity", ent.name, entityId));
      if (step.operation !== undefined) {
        state.totals.entityOperations++;
        state.emit({ type: "entityOperation", instanceId: caller?.instanceId ?? "", name: ent.name, at, entityId, operation: step.operation, isError: step.isError === true });
      }
    } catch (err) {
      // The entity function itself crashed: answer a call with an error so the caller does not hang.
      if (message.kind === "call") {
        const response = { result: JSON.stringify(err instanceof Error ? err.message : String(err)), exceptionType: "Error" };
        ent.outbox.push({ to: "instance", caller: message.from, requestId: message.id, event: history.eventRaised(message.id, at, JSON.stringify(response)) });
      }
    }
    state.store.saveEntity(ent);
    this.flushEntityOutbox(ent);
    if (nextProcessable(ent) >= 0) state.readyEntities.add(entityId);
  }

  flushEntityOutbox(ent: EntityRecord): void {
    if (ent.outbox.length === 0) return;
    while (ent.outbox.length > 0) {
      const item = ent.outbox[0] as EntityOutboxItem;
      if (item.to === "entity") this.enqueue(item.entityId, item.message);
      else this.deliverResponse(item);
      ent.outbox.shift();
    }
    this.state.store.saveEntity(ent);
  }

  /** Sends what an orchestration episode addressed to entities (calls, signals, lock requests, releases). */
  flushInstanceOutbox(rec: InstanceRecord): void {
    if (rec.entityOutbox.length === 0) return;
    for (const { entityId, message } of rec.entityOutbox) this.enqueue(entityId, message);
    rec.entityOutbox = [];
    this.state.save(rec);
  }

  /**
   * Who holds the lock of an entity (scheduler id `@name@key`), if anyone, and whether that holder
   * still runs. The extension keeps this in the entity's scheduler state (`LockedBy`).
   */
  lockHolder(entityId: string): { instanceId: string; executionId: string; running: boolean } | undefined {
    const holder = this.state.entityRecords.get(entityId)?.lockedBy;
    if (!holder) return undefined;
    const rec = this.state.records.get(holder.caller.instanceId);
    const running = rec !== undefined && rec.exec.executionId === holder.caller.executionId && isActive(rec);
    return { instanceId: holder.caller.instanceId, executionId: holder.caller.executionId, running };
  }

  private deliverResponse(item: Extract<EntityOutboxItem, { to: "instance" }>): void {
    const { state } = this;
    const rec = state.records.get(item.caller.instanceId);
    const alive = rec !== undefined && rec.exec.executionId === item.caller.executionId && isActive(rec);
    if (alive && rec.awaitingEntity[item.requestId]) {
      const at = state.nowIso();
      delete rec.awaitingEntity[item.requestId];
      if (item.event) rec.inbox.push({ ...item.event, Timestamp: at });
      state.touch(rec, at);
      state.save(rec);
      state.ready.add(rec.instanceId);
      if (item.grantedLock) state.emit({ type: "lockAcquired", instanceId: rec.instanceId, name: rec.name, at, entityIds: item.grantedLock });
    }
    // Granted to an execution that has ended: the grant is a message to a finished instance, which the
    // backend discards; the lock stays with that holder's instance id (orphaned).
  }
}
