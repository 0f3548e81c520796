/**
 * Numbers and names the local broker shares with Azure Service Bus. Each one carries the Service Bus
 * fact behind it, so a test that depends on a default can find where it comes from.
 */

/** Service Bus default MaxDeliveryCount is 10 (QueueProperties / SubscriptionProperties). */
export const DEFAULT_MAX_DELIVERY_COUNT = 10;

/** Service Bus default LockDuration is 1 minute (PT1M); the maximum is 5 minutes. */
export const DEFAULT_LOCK_DURATION_MS = 60_000;

/** Service Bus default DuplicateDetectionHistoryTimeWindow is 10 minutes (PT10M). */
export const DEFAULT_DUPLICATE_DETECTION_WINDOW_MS = 10 * 60_000;

/**
 * Standard tier allows messages of up to 256 KB. The SDK reads this from the attach frame
 * (`max_message_size`) to size `createMessageBatch()`.
 */
export const DEFAULT_MAX_MESSAGE_SIZE_BYTES = 256 * 1024;

/** Message format of a batch: the Microsoft vendor prefix 0x80013700 (one data section per message). */
export const BATCH_MESSAGE_FORMAT = 0x80013700;

/** Reason Service Bus writes into `DeadLetterReason` when `MaxDeliveryCount` is exceeded. */
export const MAX_DELIVERY_COUNT_EXCEEDED = "MaxDeliveryCountExceeded";

/** Service Bus puts the reason and description of a dead-lettered message into these application properties. */
export const DEAD_LETTER_REASON_PROPERTY = "DeadLetterReason";
export const DEAD_LETTER_DESCRIPTION_PROPERTY = "DeadLetterErrorDescription";

/** AMQP error conditions Service Bus uses and the SDK maps to its error codes. */
export const Conditions = {
  /** → ServiceBusError code "MessagingEntityNotFound". */
  notFound: "amqp:not-found",
  /** → "MessageLockLost". */
  lockLost: "com.microsoft:message-lock-lost",
  /** → "MessageNotFound" (receive-by-sequence-number of an unknown deferred message). */
  messageNotFound: "com.microsoft:message-not-found",
  /** The rejected outcome the SDK sends to dead-letter a message over the receiver link. */
  deadLetter: "com.microsoft:dead-letter",
  notAllowed: "amqp:not-allowed",
  /** Service Bus detaches idle links (and links of updated entities) with this condition. */
  detachForced: "amqp:link:detach-forced",
  notImplemented: "amqp:not-implemented",
  messageSizeExceeded: "amqp:link:message-size-exceeded",
  internalError: "amqp:internal-error",
  argumentError: "com.microsoft:argument-error",
} as const;

/** Message annotations Service Bus stamps on the messages it delivers (read by the SDK's fromRheaMessage). */
export const Annotations = {
  sequenceNumber: "x-opt-sequence-number",
  enqueuedTime: "x-opt-enqueued-time",
  lockedUntil: "x-opt-locked-until",
  scheduledEnqueueTime: "x-opt-scheduled-enqueue-time",
  deadLetterSource: "x-opt-deadletter-source",
  /** 0 active, 1 deferred, 2 scheduled. */
  messageState: "x-opt-message-state",
} as const;

/** Node addresses the SDK attaches to besides entities. */
export const CBS_ADDRESS = "$cbs";
export const MANAGEMENT_SUFFIX = "$management";
export const DEAD_LETTER_SUFFIX = "$DeadLetterQueue";
