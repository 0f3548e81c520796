/** Public option and result types of the local broker. */

export type FilterValue = string | number | boolean;

/**
 * A correlation filter as Service Bus defines it: every property given must be equal on the message
 * (AND); `applicationProperties` compares each listed key by value and type.
 */
export interface CorrelationFilter {
  applicationProperties?: Record<string, FilterValue>;
  correlationId?: string;
  messageId?: string;
  subject?: string;
  to?: string;
  replyTo?: string;
  contentType?: string;
  sessionId?: string;
  replyToSessionId?: string;
}

export interface SubscriptionFilter {
  correlation?: CorrelationFilter;
}

/** Settings shared by the entities messages are received from (queues and subscriptions). */
export interface ReceivableEntityOptions {
  name: string;
  /** Deliveries before a message is dead-lettered with `MaxDeliveryCountExceeded`; Service Bus default 10. */
  maxDeliveryCount?: number;
  /** How long a peek-lock lasts before the message is delivered again; Service Bus default 60 s. */
  lockDurationMs?: number;
}

export interface QueueOptions extends ReceivableEntityOptions {
  /** Drop a message whose `messageId` was already accepted within the window (the sender still sees success). */
  requiresDuplicateDetection?: boolean;
  /** Service Bus default 10 minutes. */
  duplicateDetectionWindowMs?: number;
}

export interface SubscriptionOptions extends ReceivableEntityOptions {
  /** No filter means every message (the `$Default` TrueFilter rule of Service Bus). */
  filter?: SubscriptionFilter;
}

export interface TopicOptions {
  name: string;
  requiresDuplicateDetection?: boolean;
  duplicateDetectionWindowMs?: number;
  subscriptions?: SubscriptionOptions[];
}

export type BrokerTraceType =
  | "complete"
  | "abandon"
  | "defer"
  | "deadLetter"
  | "lockExpired"
  | "lockLost"
  | "receiveAndDelete"
  | "duplicateDropped";

/** One settlement (or drop) as the broker saw it; handed to `BrokerOptions.trace`. */
export interface BrokerTraceEvent {
  type: BrokerTraceType;
  /** Entity path, e.g. `deploy-requests`, `notifications/Subscriptions/audit`, `q/$DeadLetterQueue`. */
  entity: string;
  messageId: string | undefined;
  sequenceNumber: number | undefined;
  /** Deliveries so far (for settle events: including the one being settled). */
  deliveries: number;
  reason?: string;
  description?: string;
  at: Date;
}

export interface BrokerOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Use 127.0.0.1: the SDK's emulator mode connects over plain TCP to the host in the connection string. */
  host?: string;
  queues?: QueueOptions[];
  topics?: TopicOptions[];
  /**
   * Create a queue (plain path) or a topic plus subscription (`<topic>/Subscriptions/<sub>`) on first
   * attach instead of failing with `amqp:not-found`. Off by default, as in Service Bus.
   */
  autoCreateEntities?: boolean;
  /** Defaults applied to entities that do not set their own. */
  defaults?: {
    maxDeliveryCount?: number;
    lockDurationMs?: number;
    duplicateDetectionWindowMs?: number;
  };
  /** Sent in the attach frame; Service Bus standard tier: 256 KB. */
  maxMessageSizeBytes?: number;
  /** Called synchronously for every settlement and dropped duplicate; must not throw. */
  trace?: (event: BrokerTraceEvent) => void;
  /** Key name and key written into `connectionString` (the broker accepts any). */
  sharedAccessKeyName?: string;
  sharedAccessKey?: string;
}

export interface EntityCounts {
  path: string;
  kind: "queue" | "topic" | "subscription" | "deadLetterQueue";
  /** Available for delivery now. */
  active: number;
  /** Delivered under a peek-lock and not settled yet. */
  locked: number;
  deferred: number;
  scheduled: number;
  /** Messages in the entity's dead-letter queue (for a topic: summed over its subscriptions). */
  deadLettered: number;
  /**
   * Receiver links attached to it that have asked for messages (granted credit): what a test waits for
   * instead of sleeping until a client's receive is in place. For a topic: summed over its subscriptions.
   */
  receivers: number;
  /** For a topic: its subscriptions' names. */
  subscriptions?: string[];
}

export interface DeadLetteredMessage {
  messageId: string | undefined;
  sequenceNumber: number;
  reason: string | undefined;
  description: string | undefined;
  /** Failed deliveries before it was dead-lettered (the AMQP header the SDK shows as `deliveryCount`). */
  deliveryCount: number;
  /** Path the message was dead-lettered from. */
  source: string;
  /** JSON bodies parsed, other data bodies as Buffer, AMQP values as they are. */
  body: unknown;
  subject: string | undefined;
  correlationId: string | undefined;
  contentType: string | undefined;
  applicationProperties: Record<string, unknown>;
}

export interface BrokerStats {
  connections: number;
  /** Messages accepted from senders (after batch unpacking, before duplicate detection). */
  received: number;
  duplicatesDropped: number;
  delivered: number;
  completed: number;
  abandoned: number;
  deferred: number;
  deadLettered: number;
  locksExpired: number;
  /** `$management` requests by operation, e.g. `{ "renew-lock": 2, "update-disposition": 1 }`. */
  managementRequests: Record<string, number>;
  /** Exceptions caught while processing frames (broker bugs, protocol errors); empty in a healthy run. */
  errors: string[];
  entities: EntityCounts[];
}
