/**
 * Message encoding helpers: unpack what senders transfer (single messages and 0x80013700 batches),
 * and encode stored messages with the annotations Service Bus stamps on delivery.
 *
 * A stored message keeps rhea's decoded view of the sender's message (header fields, message
 * annotations, properties, application properties, body section). Decoding and re-encoding with rhea
 * reproduces every type the JS SDK sends (it encodes with the same rhea); a body stays the exact
 * data section it arrived as.
 */
import { randomUUID } from "node:crypto";
import type { Message } from "rhea";
import { Annotations, BATCH_MESSAGE_FORMAT } from "./constants";
import { amqpMessage, amqpTypes, isDataSection } from "./rheaInternals";

/** rhea's flat view of an AMQP message: header and properties fields, annotations, body. */
export type AmqpFields = Record<string, unknown> & {
  message_annotations?: Record<string, unknown>;
  application_properties?: Record<string, unknown>;
};

export type MessageState = "active" | "deferred" | "scheduled";

export interface StoredMessage {
  /** Unique within the entity, increasing in enqueue order (a topic numbers before fan-out). */
  sequenceNumber: number;
  enqueuedAt: number;
  /**
   * Failed deliveries so far (abandoned or lock expired): the AMQP header `delivery_count`. Service
   * Bus writes DeliveryCount − 1 there and the JS SDK does not add 1 back, so `deliveryCount` is 0 on
   * the first receive and +1 on each redelivery.
   */
  deliveryCount: number;
  state: MessageState;
  amqp: AmqpFields;
  /** Set when the message moved to a dead-letter queue: the path it came from. */
  deadLetterSource?: string;
}

/** Annotations the broker owns; a sender's copies (e.g. a received message sent again) are dropped. */
const BROKER_ANNOTATIONS = new Set<string>([
  Annotations.sequenceNumber,
  Annotations.enqueuedTime,
  Annotations.lockedUntil,
  Annotations.messageState,
  Annotations.deadLetterSource,
  "x-opt-enqueue-sequence-number",
]);

function toFields(decoded: Message): AmqpFields {
  const fields: AmqpFields = {};
  for (const [k, v] of Object.entries(decoded)) {
    if (typeof v === "function" || v === undefined) continue;
    if (k === "delivery_annotations" || k === "delivery_count") continue;
    fields[k] = v;
  }
  if (fields.message_annotations) {
    const kept: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(fields.message_annotations)) if (!BROKER_ANNOTATIONS.has(k)) kept[k] = v;
    fields.message_annotations = kept;
  }
  // Assign a message id when the sender did not: the SDK's lock renewer and duplicate detection key on it.
  if (fields.message_id === undefined || fields.message_id === null) fields.message_id = randomUUID();
  return fields;
}

/**
 * The messages in one transfer. Format 0 arrives decoded by rhea; a batch (format 0x80013700) is an
 * envelope whose data sections each hold one complete encoded message (one section or several).
 */
export function unpackTransfer(payload: Message | Buffer, format: number | undefined): AmqpFields[] {
  if (!Buffer.isBuffer(payload)) return [toFields(payload)];
  if (format !== BATCH_MESSAGE_FORMAT) return [toFields(amqpMessage.decode(payload))];
  const envelope = amqpMessage.decode(payload);
  const body: unknown = envelope.body;
  if (!isDataSection(body)) throw new Error("batch message without data sections");
  const parts: unknown[] = body.multiple ? (body.content as unknown[]) : [body.content];
  return parts.map((part) => {
    if (!Buffer.isBuffer(part)) throw new Error("batch data section is not binary");
    return toFields(amqpMessage.decode(part));
  });
}

/** A rhea-decoded `message_id`/`correlation_id` as a string (uuid and binary ids as hex). */
export function idToString(id: unknown): string | undefined {
  if (id === undefined || id === null) return undefined;
  if (Buffer.isBuffer(id)) return id.toString("hex");
  return String(id);
}

export function messageIdOf(m: StoredMessage | AmqpFields): string | undefined {
  const fields = "amqp" in m ? (m as StoredMessage).amqp : (m as AmqpFields);
  return idToString(fields.message_id);
}

export function stringField(fields: AmqpFields, name: string): string | undefined {
  const v = fields[name];
  return typeof v === "string" ? v : idToString(v);
}

/** Application properties merged with `updates` (dead-letter reason, properties-to-modify). */
export function withApplicationProperties(fields: AmqpFields, updates: Record<string, unknown>): AmqpFields {
  const defined = Object.entries(updates).filter(([, v]) => v !== undefined);
  if (defined.length === 0) return fields;
  return { ...fields, application_properties: { ...(fields.application_properties ?? {}), ...Object.fromEntries(defined) } };
}

export interface EncodeOptions {
  lockedUntil?: number;
}

const STATE_CODES: Record<MessageState, number> = { active: 0, deferred: 1, scheduled: 2 };

/** The message as Service Bus delivers (or peeks) it: header delivery count and `x-opt-*` annotations. */
export function encodeStoredMessage(m: StoredMessage, opts: EncodeOptions = {}): Buffer {
  const annotations: Record<string, unknown> = { ...(m.amqp.message_annotations ?? {}) };
  // x-opt-sequence-number must be an AMQP long: the SDK builds a Long from it.
  annotations[Annotations.sequenceNumber] = amqpTypes.wrap_long(m.sequenceNumber);
  annotations[Annotations.enqueuedTime] = new Date(m.enqueuedAt);
  if (opts.lockedUntil !== undefined) annotations[Annotations.lockedUntil] = new Date(opts.lockedUntil);
  if (m.state !== "active") annotations[Annotations.messageState] = amqpTypes.wrap_int(STATE_CODES[m.state]);
  if (m.deadLetterSource !== undefined) annotations[Annotations.deadLetterSource] = m.deadLetterSource;
  return amqpMessage.encode({ ...m.amqp, delivery_count: m.deliveryCount, message_annotations: annotations });
}

/** The body as a test wants to see it: JSON parsed when it is JSON, otherwise the raw value. */
export function inspectBody(fields: AmqpFields): unknown {
  const body = fields.body;
  if (!isDataSection(body)) return body;
  const content = body.content;
  if (!Buffer.isBuffer(content)) return content;
  try {
    return JSON.parse(content.toString("utf8"));
  } catch {
    return content;
  }
}

/** `x-opt-scheduled-enqueue-time` of a sent message, in ms, if it is set. */
export function scheduledEnqueueTimeOf(fields: AmqpFields): number | undefined {
  const v = fields.message_annotations?.[Annotations.scheduledEnqueueTime];
  if (v instanceof Date) return v.getTime();
  if (typeof v === "number") return v;
  return undefined;
}
