/**
 * Queues, topics and subscriptions, and the registry that resolves link addresses to them.
 *
 * A queue is one message store (plus its dead-letter queue); a topic stores nothing itself: it numbers
 * each message and gives every subscription whose filter matches its own copy (a message no
 * subscription wants is dropped, as in Service Bus). Duplicate detection and scheduling live on the
 * entity that is sent to (queue or topic).
 */
import type { BrokerContext } from "./brokerContext";
import {
  DEFAULT_DUPLICATE_DETECTION_WINDOW_MS,
  DEFAULT_LOCK_DURATION_MS,
  DEFAULT_MAX_DELIVERY_COUNT,
} from "./constants";
import { matchesSubscription, validateFilter } from "./correlationFilter";
import { DuplicateDetector } from "./duplicateDetection";
import { deadLetterPath, type ParsedPath, parseEntityPath, subscriptionPath } from "./entityPaths";
import { type AmqpFields, messageIdOf, scheduledEnqueueTimeOf, type StoredMessage } from "./messageCodec";
import { MessageStore } from "./messageStore";
import type { BrokerOptions, QueueOptions, SubscriptionFilter, SubscriptionOptions, TopicOptions } from "./options";
import { Scheduler } from "./scheduler";

export interface EntityDefaults {
  maxDeliveryCount: number;
  lockDurationMs: number;
  duplicateDetectionWindowMs: number;
}

export function resolveDefaults(d: BrokerOptions["defaults"]): EntityDefaults {
  return {
    maxDeliveryCount: d?.maxDeliveryCount ?? DEFAULT_MAX_DELIVERY_COUNT,
    lockDurationMs: d?.lockDurationMs ?? DEFAULT_LOCK_DURATION_MS,
    duplicateDetectionWindowMs: d?.duplicateDetectionWindowMs ?? DEFAULT_DUPLICATE_DETECTION_WINDOW_MS,
  };
}

function positive(path: string, what: string, v: number): number {
  if (!(v > 0)) throw new RangeError(`${path}: ${what} must be positive, got ${v}`);
  return v;
}

/** Something senders can send to: a queue or a topic. */
abstract class SendableEntity {
  protected readonly scheduler: Scheduler;
  private readonly duplicates: DuplicateDetector | undefined;

  constructor(
    readonly path: string,
    protected readonly context: BrokerContext,
    duplicateDetection: boolean | undefined,
    windowMs: number,
  ) {
    this.duplicates = duplicateDetection ? new DuplicateDetector(positive(path, "duplicateDetectionWindowMs", windowMs)) : undefined;
    this.scheduler = new Scheduler((m) => {
      m.enqueuedAt = Date.now();
      this.enqueue(m);
    });
  }

  protected abstract nextSequenceNumber(): number;
  protected abstract enqueue(message: StoredMessage): void;

  /** Messages from one transfer (one, or a whole batch). Duplicates are dropped after being accepted. */
  accept(messages: AmqpFields[]): void {
    const now = Date.now();
    for (const fields of messages) {
      const at = scheduledEnqueueTimeOf(fields);
      if (at !== undefined && at > now) this.schedule(fields, at);
      else if (this.admit(fields)) this.enqueue(this.stored(fields, now));
    }
  }

  /** schedule-message (or a send with a future scheduledEnqueueTimeUtc); returns the sequence number. */
  schedule(fields: AmqpFields, at: number): number {
    const m = this.stored(fields, Date.now());
    if (this.admit(fields)) this.scheduler.schedule(m, at);
    return m.sequenceNumber;
  }

  cancelScheduled(sequenceNumber: number): void {
    this.scheduler.cancel(sequenceNumber);
  }

  get scheduledCount(): number {
    return this.scheduler.size;
  }

  scheduledMessages(): StoredMessage[] {
    return this.scheduler.messages();
  }

  close(): void {
    this.scheduler.clear();
  }

  private admit(fields: AmqpFields): boolean {
    this.context.counters.received++;
    const id = messageIdOf(fields);
    if (!this.duplicates || id === undefined || !this.duplicates.isDuplicate(id)) return true;
    this.context.counters.duplicatesDropped++;
    this.context.trace("duplicateDropped", this.path, { messageId: id, sequenceNumber: undefined, deliveries: 0 });
    return false;
  }

  private stored(fields: AmqpFields, now: number): StoredMessage {
    return { sequenceNumber: this.nextSequenceNumber(), enqueuedAt: now, deliveryCount: 0, state: "active", amqp: fields };
  }
}

export class QueueEntity extends SendableEntity {
  readonly kind = "queue";
  readonly store: MessageStore;
  readonly deadLetterQueue: MessageStore;

  constructor(opts: QueueOptions, defaults: EntityDefaults, context: BrokerContext) {
    super(opts.name, context, opts.requiresDuplicateDetection, opts.duplicateDetectionWindowMs ?? defaults.duplicateDetectionWindowMs);
    const lockDurationMs = positive(opts.name, "lockDurationMs", opts.lockDurationMs ?? defaults.lockDurationMs);
    this.deadLetterQueue = new MessageStore({
      path: deadLetterPath(opts.name),
      kind: "deadLetterQueue",
      // Service Bus never dead-letters out of a dead-letter queue.
      maxDeliveryCount: Number.POSITIVE_INFINITY,
      lockDurationMs,
      context,
    });
    this.store = new MessageStore({
      path: opts.name,
      kind: "queue",
      maxDeliveryCount: positive(opts.name, "maxDeliveryCount", opts.maxDeliveryCount ?? defaults.maxDeliveryCount),
      lockDurationMs,
      context,
      deadLetterQueue: this.deadLetterQueue,
    });
  }

  protected nextSequenceNumber(): number {
    return this.store.nextSequenceNumber();
  }

  protected enqueue(message: StoredMessage): void {
    this.store.add(message);
  }

  override close(): void {
    super.close();
    this.store.close();
    this.deadLetterQueue.close();
  }
}

export class SubscriptionEntity {
  readonly kind = "subscription";
  readonly path: string;
  readonly store: MessageStore;
  readonly deadLetterQueue: MessageStore;
  readonly filter: SubscriptionFilter | undefined;

  constructor(
    readonly topic: TopicEntity,
    readonly name: string,
    opts: SubscriptionOptions,
    defaults: EntityDefaults,
    context: BrokerContext,
  ) {
    this.path = subscriptionPath(topic.path, name);
    validateFilter(this.path, opts.filter);
    this.filter = opts.filter;
    const lockDurationMs = positive(this.path, "lockDurationMs", opts.lockDurationMs ?? defaults.lockDurationMs);
    this.deadLetterQueue = new MessageStore({
      path: deadLetterPath(this.path),
      kind: "deadLetterQueue",
      maxDeliveryCount: Number.POSITIVE_INFINITY,
      lockDurationMs,
      context,
    });
    this.store = new MessageStore({
      path: this.path,
      kind: "subscription",
      maxDeliveryCount: positive(this.path, "maxDeliveryCount", opts.maxDeliveryCount ?? defaults.maxDeliveryCount),
      lockDurationMs,
      context,
      deadLetterQueue: this.deadLetterQueue,
    });
  }

  close(): void {
    this.store.close();
    this.deadLetterQueue.close();
  }
}

export class TopicEntity extends SendableEntity {
  readonly kind = "topic";
  readonly subscriptions = new Map<string, SubscriptionEntity>();
  private lastSequenceNumber = 0;

  constructor(
    opts: TopicOptions,
    private readonly defaults: EntityDefaults,
    context: BrokerContext,
  ) {
    super(opts.name, context, opts.requiresDuplicateDetection, opts.duplicateDetectionWindowMs ?? defaults.duplicateDetectionWindowMs);
    for (const s of opts.subscriptions ?? []) this.addSubscription(s);
  }

  addSubscription(opts: SubscriptionOptions): SubscriptionEntity {
    const key = opts.name.toLowerCase();
    if (this.subscriptions.has(key)) throw new Error(`${this.path}: duplicate subscription ${opts.name}`);
    const sub = new SubscriptionEntity(this, opts.name, opts, this.defaults, this.context);
    this.subscriptions.set(key, sub);
    return sub;
  }

  subscription(name: string): SubscriptionEntity | undefined {
    return this.subscriptions.get(name.toLowerCase());
  }

  protected nextSequenceNumber(): number {
    return ++this.lastSequenceNumber;
  }

  /** Fan-out: each matching subscription gets its own copy with the topic's sequence number. */
  protected enqueue(message: StoredMessage): void {
    for (const sub of this.subscriptions.values()) {
      if (!matchesSubscription(sub.filter, message.amqp)) continue;
      sub.store.add({ ...message, state: "active" });
    }
  }

  override close(): void {
    super.close();
    for (const s of this.subscriptions.values()) s.close();
  }
}

/** What a link address names, with the store to receive from and the entity to send to. */
export interface ResolvedPath {
  path: string;
  /** Receive side: the queue, subscription or dead-letter queue. */
  store?: MessageStore;
  /** Send side (and schedule-message): the queue or topic. */
  sendTarget?: SendableEntity;
}

export type { SendableEntity };

export class EntityRegistry {
  readonly queues = new Map<string, QueueEntity>();
  readonly topics = new Map<string, TopicEntity>();

  constructor(
    private readonly defaults: EntityDefaults,
    private readonly context: BrokerContext,
  ) {}

  addQueue(opts: QueueOptions): QueueEntity {
    const key = opts.name.toLowerCase();
    if (this.queues.has(key) || this.topics.has(key)) throw new Error(`entity ${opts.name} is declared twice`);
    const q = new QueueEntity(opts, this.defaults, this.context);
    this.queues.set(key, q);
    return q;
  }

  addTopic(opts: TopicOptions): TopicEntity {
    const key = opts.name.toLowerCase();
    if (this.queues.has(key) || this.topics.has(key)) throw new Error(`entity ${opts.name} is declared twice`);
    const t = new TopicEntity(opts, this.defaults, this.context);
    this.topics.set(key, t);
    return t;
  }

  resolve(p: ParsedPath): ResolvedPath | undefined {
    const key = p.entity.toLowerCase();
    const queue = this.queues.get(key);
    if (queue) {
      if (p.subscription !== undefined) return undefined;
      return p.deadLetter
        ? { path: queue.deadLetterQueue.path, store: queue.deadLetterQueue }
        : { path: queue.path, store: queue.store, sendTarget: queue };
    }
    const topic = this.topics.get(key);
    if (!topic) return undefined;
    if (p.subscription === undefined) return p.deadLetter ? undefined : { path: topic.path, sendTarget: topic };
    const sub = topic.subscription(p.subscription);
    if (!sub) return undefined;
    return p.deadLetter ? { path: sub.deadLetterQueue.path, store: sub.deadLetterQueue } : { path: sub.path, store: sub.store };
  }

  /** Auto-create: a plain path becomes a queue; `<topic>/Subscriptions/<sub>` a topic and subscription. */
  resolveOrCreate(p: ParsedPath): ResolvedPath | undefined {
    const found = this.resolve(p);
    if (found) return found;
    const key = p.entity.toLowerCase();
    if (p.subscription === undefined) {
      if (this.topics.has(key)) return undefined;
      this.addQueue({ name: p.entity });
    } else {
      if (this.queues.has(key)) return undefined;
      const topic = this.topics.get(key) ?? this.addTopic({ name: p.entity });
      topic.addSubscription({ name: p.subscription });
    }
    return this.resolve(p);
  }

  /** The entity (or dead-letter queue) a path names, for inspection. */
  find(path: string): QueueEntity | TopicEntity | SubscriptionEntity | MessageStore | undefined {
    const p = parseEntityPath(path);
    if (!p || p.management) return undefined;
    const key = p.entity.toLowerCase();
    const q = this.queues.get(key);
    if (q) return p.subscription !== undefined ? undefined : p.deadLetter ? q.deadLetterQueue : q;
    const t = this.topics.get(key);
    if (!t) return undefined;
    if (p.subscription === undefined) return p.deadLetter ? undefined : t;
    const s = t.subscription(p.subscription);
    return s && p.deadLetter ? s.deadLetterQueue : s;
  }

  close(): void {
    for (const q of this.queues.values()) q.close();
    for (const t of this.topics.values()) t.close();
  }
}
