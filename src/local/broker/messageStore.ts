/**
 * The messages of one receivable entity (a queue, a subscription, or a dead-letter queue): available
 * messages by sequence number, peek-locks, deferred messages, the receiver links consuming it, and the
 * settlement rules (complete, abandon with redelivery, defer, dead-letter, MaxDeliveryCount).
 */
import type { Delivery, Sender } from "rhea";
import type { BrokerContext } from "./brokerContext";
import {
  Conditions,
  DEAD_LETTER_DESCRIPTION_PROPERTY,
  DEAD_LETTER_REASON_PROPERTY,
  MAX_DELIVERY_COUNT_EXCEEDED,
} from "./constants";
import { type Lock, LockTable } from "./locks";
import { deliveryTagFor } from "./lockToken";
import { encodeStoredMessage, messageIdOf, type StoredMessage, withApplicationProperties } from "./messageCodec";
import { amqpMessage, isDraining, outcomes, settleDelivery, usableCredit } from "./rheaInternals";
import { SequenceHeap } from "./sequenceHeap";

export type Settlement =
  | { kind: "complete" }
  | { kind: "abandon"; propertiesToModify?: Record<string, unknown> }
  | { kind: "defer"; propertiesToModify?: Record<string, unknown> }
  | { kind: "deadLetter"; reason?: string; description?: string; propertiesToModify?: Record<string, unknown> };

export interface Consumer {
  readonly sender: Sender;
  /** The receiver asked for settled transfers (snd-settle-mode settled): the message is gone once sent. */
  readonly receiveAndDelete: boolean;
  /** The drain request currently being answered was answered already. */
  drainAnswered: boolean;
}

export interface MessageStoreOptions {
  path: string;
  kind: "queue" | "subscription" | "deadLetterQueue";
  maxDeliveryCount: number;
  lockDurationMs: number;
  context: BrokerContext;
  deadLetterQueue?: MessageStore;
}

export interface ReceivedBySequence {
  message: StoredMessage;
  encoded: Buffer;
  lock?: Lock;
}

export class MessageStore {
  readonly path: string;
  readonly kind: MessageStoreOptions["kind"];
  readonly maxDeliveryCount: number;
  readonly deadLetterQueue: MessageStore | undefined;
  private readonly context: BrokerContext;
  /** Every message of the entity that is not scheduled, by sequence number. */
  private readonly messages = new Map<number, StoredMessage>();
  private readonly available = new SequenceHeap<StoredMessage>();
  private readonly deferred = new Map<number, StoredMessage>();
  private readonly locks: LockTable;
  private consumers: Consumer[] = [];
  private nextConsumer = 0;
  private lastSequenceNumber = 0;
  private pumping = false;
  private pumpAgain = false;
  private closed = false;

  constructor(opts: MessageStoreOptions) {
    this.path = opts.path;
    this.kind = opts.kind;
    this.maxDeliveryCount = opts.maxDeliveryCount;
    this.context = opts.context;
    this.deadLetterQueue = opts.deadLetterQueue;
    this.locks = new LockTable(opts.lockDurationMs, (lock) => this.onLockExpired(lock));
  }

  /** Sequence numbers for entities that number their own messages (queues, dead-letter queues). */
  nextSequenceNumber(): number {
    return ++this.lastSequenceNumber;
  }

  /** Enqueues a message that already has its sequence number. */
  add(message: StoredMessage): void {
    if (this.closed) return;
    message.state = "active";
    this.messages.set(message.sequenceNumber, message);
    this.available.push(message);
    this.pump();
  }

  // ---- consumers and delivery -------------------------------------------------------------------

  addConsumer(sender: Sender, receiveAndDelete: boolean): Consumer {
    const consumer: Consumer = { sender, receiveAndDelete, drainAnswered: false };
    this.consumers.push(consumer);
    return consumer;
  }

  /** Open receiver links with credit: their client has finished attaching and is waiting for messages. */
  get receiversWithCredit(): number {
    return this.consumers.filter((c) => c.sender.is_open() && usableCredit(c.sender) > 0).length;
  }

  removeConsumer(sender: Sender): void {
    this.consumers = this.consumers.filter((c) => c.sender !== sender);
  }

  /**
   * Sends available messages to consumers with credit, round-robin, then answers drain requests once
   * nothing more can be sent. Called on enqueue, on every flow frame, and after a message is released.
   */
  pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        this.consumers = this.consumers.filter((c) => c.sender.is_open());
        const n = this.consumers.length;
        if (n === 0) break;
        const budget = this.consumers.map((c) => usableCredit(c.sender));
        let idle = 0;
        while (this.available.size > 0 && idle < n) {
          const i = this.nextConsumer % n;
          this.nextConsumer = (i + 1) % n;
          if (budget[i]! <= 0) {
            idle++;
            continue;
          }
          idle = 0;
          const message = this.available.pop()!;
          this.deliver(this.consumers[i]!, message);
          budget[i]!--;
        }
        // Answer drain requests once nothing more will be sent: the queue is empty or the credit is used up
        // (transfers already in flight can exhaust it while the drain request is on its way).
        this.consumers.forEach((c, i) => {
          if (!isDraining(c.sender)) c.drainAnswered = false;
          else if (!c.drainAnswered && (this.available.size === 0 || budget[i]! <= 0)) {
            c.drainAnswered = true;
            c.sender.set_drained(true);
          }
        });
      } while (this.pumpAgain);
    } finally {
      this.pumping = false;
    }
  }

  /**
   * Detaches every receiver link on this entity with `error`, as Service Bus does when it forces a
   * detach (idle links, entity updates). Locks stay: messages can still be settled via `$management`.
   */
  detachConsumers(error: { condition: string; description: string }): number {
    const detached = this.consumers.filter((c) => c.sender.is_open());
    this.consumers = [];
    for (const c of detached) c.sender.close(error);
    return detached.length;
  }

  /** A new flow frame arrived on `sender` (credit or drain changed). */
  onFlow(consumer: Consumer): void {
    consumer.drainAnswered = false;
    this.pump();
  }

  private deliver(consumer: Consumer, message: StoredMessage): void {
    this.context.counters.delivered++;
    if (consumer.receiveAndDelete) {
      this.messages.delete(message.sequenceNumber);
      consumer.sender.send(encodeStoredMessage(message), undefined, 0);
      this.trace("receiveAndDelete", message, message.deliveryCount + 1);
      return;
    }
    const lock = this.locks.take(message);
    const delivery = consumer.sender.send(encodeStoredMessage(message, { lockedUntil: lock.lockedUntil }), deliveryTagFor(lock.token), 0);
    this.locks.bindDelivery(lock, delivery);
  }

  // ---- settlement -------------------------------------------------------------------------------

  /** Settlement over the receiver link (the SDK's normal path). Always settles the rhea delivery. */
  settleDelivery(delivery: Delivery, settlement: Settlement, echo: unknown): void {
    const lock = this.locks.forDelivery(delivery);
    if (!lock) {
      this.traceLockLost(this.locks.anyForDelivery(delivery)?.message);
      settleDelivery(delivery, outcomes.rejected(Conditions.lockLost, "The lock supplied is invalid. Either the lock expired, or the message has already been removed from the queue."));
      return;
    }
    this.apply(lock, settlement);
    settleDelivery(delivery, echo);
  }

  /** Settlement by lock token over `$management` (deferred messages, or after the receiver link closed). */
  settleByToken(key: string, settlement: Settlement): boolean {
    const lock = this.locks.get(key);
    if (!lock) {
      this.traceLockLost(undefined);
      return false;
    }
    const delivery = lock.delivery;
    this.apply(lock, settlement);
    // Free rhea's slot for the transfer if its link is still up (the SDK only settles here when it is not).
    if (delivery && !delivery.settled && delivery.link.is_open()) settleDelivery(delivery, outcomes.accepted());
    return true;
  }

  renewLock(key: string): number | undefined {
    const lock = this.locks.get(key);
    return lock ? this.locks.renew(lock) : undefined;
  }

  private apply(lock: Lock, settlement: Settlement): void {
    this.locks.release(lock);
    const m = lock.message;
    switch (settlement.kind) {
      case "complete":
        this.forget(m);
        this.context.counters.completed++;
        this.trace("complete", m, m.deliveryCount + 1);
        break;
      case "abandon":
        this.context.counters.abandoned++;
        if (settlement.propertiesToModify) m.amqp = withApplicationProperties(m.amqp, settlement.propertiesToModify);
        this.trace("abandon", m, m.deliveryCount + 1);
        this.redeliverOrDeadLetter(m);
        break;
      case "defer":
        this.context.counters.deferred++;
        if (settlement.propertiesToModify) m.amqp = withApplicationProperties(m.amqp, settlement.propertiesToModify);
        m.state = "deferred";
        this.deferred.set(m.sequenceNumber, m);
        this.trace("defer", m, m.deliveryCount + 1);
        break;
      case "deadLetter":
        if (settlement.propertiesToModify) m.amqp = withApplicationProperties(m.amqp, settlement.propertiesToModify);
        this.deadLetter(m, settlement.reason, settlement.description, m.deliveryCount + 1);
        break;
    }
  }

  private onLockExpired(lock: Lock): void {
    this.context.counters.locksExpired++;
    this.trace("lockExpired", lock.message, lock.message.deliveryCount + 1);
    this.redeliverOrDeadLetter(lock.message);
  }

  /**
   * An abandoned or lock-expired message counts one more failed delivery; past MaxDeliveryCount it goes
   * to the dead-letter queue with the reason Service Bus uses, otherwise back to its place in line
   * (a deferred message stays deferred).
   */
  private redeliverOrDeadLetter(m: StoredMessage): void {
    if (this.closed) return;
    m.deliveryCount++;
    if (m.deliveryCount >= this.maxDeliveryCount) {
      this.deadLetter(m, MAX_DELIVERY_COUNT_EXCEEDED, `Message could not be consumed after ${this.maxDeliveryCount} delivery attempts.`, m.deliveryCount);
      return;
    }
    if (m.state === "deferred") return;
    this.available.push(m);
    this.pump();
  }

  /** Moves a message to the dead-letter queue, with the reason and description as application properties. */
  private deadLetter(m: StoredMessage, reason: string | undefined, description: string | undefined, deliveries: number): void {
    const dlq = this.deadLetterQueue;
    if (!dlq) {
      // A dead-letter queue has no dead-letter queue of its own: the message stays where it is.
      this.deferred.delete(m.sequenceNumber);
      m.state = "active";
      this.available.push(m);
      this.pump();
      return;
    }
    this.forget(m);
    this.context.counters.deadLettered++;
    this.trace("deadLetter", m, deliveries, reason, description);
    dlq.add({
      sequenceNumber: dlq.nextSequenceNumber(),
      enqueuedAt: m.enqueuedAt,
      deliveryCount: m.deliveryCount,
      state: "active",
      deadLetterSource: this.path,
      amqp: withApplicationProperties(m.amqp, {
        [DEAD_LETTER_REASON_PROPERTY]: reason,
        [DEAD_LETTER_DESCRIPTION_PROPERTY]: description,
      }),
    });
  }

  private forget(m: StoredMessage): void {
    this.messages.delete(m.sequenceNumber);
    this.deferred.delete(m.sequenceNumber);
  }

  // ---- $management reads ------------------------------------------------------------------------

  /**
   * receive-by-sequence-number (deferred messages only, as in Service Bus). Undefined when a number is
   * not a deferred message or that message is locked by an earlier receive.
   */
  receiveDeferred(sequenceNumbers: number[], receiveAndDelete: boolean): ReceivedBySequence[] | undefined {
    const found = sequenceNumbers.map((n) => this.deferred.get(n));
    if (found.some((m) => m === undefined || this.locks.isLocked(m))) return undefined;
    return (found as StoredMessage[]).map((message) => {
      if (receiveAndDelete) {
        this.forget(message);
        return { message, encoded: encodeStoredMessage(message) };
      }
      const lock = this.locks.take(message);
      return { message, lock, encoded: encodeStoredMessage(message, { lockedUntil: lock.lockedUntil }) };
    });
  }

  /** peek-message: up to `count` messages from sequence number `from` on, scheduled ones included. */
  peek(from: number, count: number, scheduled: Iterable<StoredMessage> = []): StoredMessage[] {
    const picked: StoredMessage[] = [];
    for (const m of this.messages.values()) if (m.sequenceNumber >= from) picked.push(m);
    for (const m of scheduled) if (m.sequenceNumber >= from) picked.push(m);
    picked.sort((a, b) => a.sequenceNumber - b.sequenceNumber);
    return picked.slice(0, count);
  }

  // ---- inspection -------------------------------------------------------------------------------

  get activeCount(): number {
    return this.available.size;
  }

  get lockedCount(): number {
    return this.locks.size;
  }

  get deferredCount(): number {
    return this.deferred.size;
  }

  get size(): number {
    return this.messages.size;
  }

  all(): StoredMessage[] {
    return [...this.messages.values()];
  }

  close(): void {
    this.closed = true;
    this.locks.clear();
    this.consumers = [];
  }

  private trace(
    type: "complete" | "abandon" | "defer" | "deadLetter" | "lockExpired" | "receiveAndDelete",
    m: StoredMessage,
    deliveries: number,
    reason?: string,
    description?: string,
  ): void {
    this.context.trace(type, this.path, {
      messageId: messageIdOf(m),
      sequenceNumber: m.sequenceNumber,
      deliveries,
      ...(reason !== undefined ? { reason } : {}),
      ...(description !== undefined ? { description } : {}),
    });
  }

  private traceLockLost(m: StoredMessage | undefined): void {
    this.context.trace("lockLost", this.path, {
      messageId: m && messageIdOf(m),
      sequenceNumber: m?.sequenceNumber,
      deliveries: m?.deliveryCount ?? 0,
    });
  }
}

/** The outcome the broker settles with after a successful settlement: the client's own, minus errors. */
export function echoOutcome(settlement: Settlement): unknown {
  switch (settlement.kind) {
    case "complete":
      return outcomes.accepted();
    case "abandon":
      return amqpMessage.modified({ undeliverable_here: false }).described();
    case "defer":
      return amqpMessage.modified({ undeliverable_here: true }).described();
    case "deadLetter":
      // An error in the settled state makes the SDK reject the dead-letter call; Service Bus replies without one.
      return amqpMessage.rejected({}).described();
  }
}
