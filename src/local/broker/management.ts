/**
 * The `<entity>/$management` node: the request/response operations @azure/service-bus uses.
 *
 * Replies carry camelCase `statusCode` (the SDK's peek checks `statusCode !== 204` literally),
 * `statusDescription`, and `errorCondition` on errors, which the SDK maps to its error codes
 * (e.g. `com.microsoft:message-lock-lost` → MessageLockLost).
 *
 * Implemented: renew-lock, update-disposition (settling deferred messages or after the receiver link
 * closed), peek-message, receive-by-sequence-number (deferred messages), schedule-message,
 * cancel-scheduled-message. Sessions, rules and batch delete answer 501 / amqp:not-implemented.
 */
import type { Message } from "rhea";
import type { RequestReply } from "./cbs";
import { Conditions } from "./constants";
import type { ResolvedPath } from "./entities";
import { lockKeyFromRequest } from "./lockToken";
import { encodeStoredMessage, scheduledEnqueueTimeOf, unpackTransfer } from "./messageCodec";
import type { MessageStore, Settlement } from "./messageStore";
import { amqpTypes } from "./rheaInternals";

const OK = 200;
const NO_CONTENT = 204;
const BAD_REQUEST = 400;
const NOT_FOUND = 404;
/** Service Bus answers a lost lock with 410 Gone. */
const GONE = 410;
const NOT_IMPLEMENTED = 501;

function reply(statusCode: number, body?: unknown, statusDescription?: string, errorCondition?: string): RequestReply {
  return {
    application_properties: {
      statusCode,
      ...(statusDescription !== undefined ? { statusDescription } : {}),
      ...(errorCondition !== undefined ? { errorCondition } : {}),
    },
    ...(body !== undefined ? { body } : {}),
  };
}

function error(statusCode: number, condition: string, description: string): RequestReply {
  return reply(statusCode, undefined, description, condition);
}

const lockLost = () =>
  error(GONE, Conditions.lockLost, "The lock supplied is invalid. Either the lock expired, or the message has already been removed from the queue.");

/** An AMQP long decoded by rhea: a number, or 8 big-endian bytes when it does not fit a double exactly. */
function toNumber(v: unknown): number {
  if (typeof v === "number") return v;
  if (Buffer.isBuffer(v) && v.length === 8) return Number(v.readBigInt64BE(0));
  if (typeof v === "bigint") return Number(v);
  return Number.NaN;
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
}

function asRecord(v: unknown): Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v) ? (v as Record<string, unknown>) : {};
}

function settlementFor(body: Record<string, unknown>): Settlement | undefined {
  const props = body["properties-to-modify"] !== undefined ? asRecord(body["properties-to-modify"]) : undefined;
  const withProps = props ? { propertiesToModify: props } : {};
  switch (body["disposition-status"]) {
    case "completed":
      return { kind: "complete" };
    case "abandoned":
      return { kind: "abandon", ...withProps };
    // The SDK spells it "defered".
    case "defered":
    case "deferred":
      return { kind: "defer", ...withProps };
    case "suspended": {
      const reason = body["deadletter-reason"];
      const description = body["deadletter-description"];
      return {
        kind: "deadLetter",
        ...(typeof reason === "string" ? { reason } : {}),
        ...(typeof description === "string" ? { description } : {}),
        ...withProps,
      };
    }
    default:
      return undefined;
  }
}

export function handleManagementRequest(target: ResolvedPath | undefined, request: Message): RequestReply {
  const operation = String((request.application_properties as Record<string, unknown> | undefined)?.["operation"] ?? "");
  if (!target) return error(NOT_FOUND, Conditions.notFound, "The messaging entity could not be found.");
  const body = asRecord(request.body);
  const store = target.store;
  const needStore = (f: (s: MessageStore) => RequestReply): RequestReply =>
    store ? f(store) : error(BAD_REQUEST, Conditions.notAllowed, `${operation} is not supported on ${target.path}`);

  switch (operation) {
    case "com.microsoft:renew-lock":
      return needStore((s) => {
        const expirations: Date[] = [];
        for (const t of list(body["lock-tokens"])) {
          const key = lockKeyFromRequest(t);
          const until = key === undefined ? undefined : s.renewLock(key);
          if (until === undefined) return lockLost();
          expirations.push(new Date(until));
        }
        return reply(OK, { expirations });
      });

    case "com.microsoft:update-disposition":
      return needStore((s) => {
        const settlement = settlementFor(body);
        if (!settlement) return error(BAD_REQUEST, Conditions.argumentError, `unknown disposition-status ${String(body["disposition-status"])}`);
        for (const t of list(body["lock-tokens"])) {
          const key = lockKeyFromRequest(t);
          if (key === undefined || !s.settleByToken(key, settlement)) return lockLost();
        }
        return reply(OK);
      });

    case "com.microsoft:peek-message":
      return needStore((s) => {
        const from = toNumber(body["from-sequence-number"]);
        const count = toNumber(body["message-count"]);
        const scheduled = target.sendTarget?.scheduledMessages() ?? [];
        const found = s.peek(Number.isFinite(from) ? from : 0, Number.isFinite(count) && count > 0 ? count : 1, scheduled);
        if (found.length === 0) return reply(NO_CONTENT, undefined, "No messages");
        return reply(OK, { messages: found.map((m) => ({ message: encodeStoredMessage(m) })) });
      });

    case "com.microsoft:receive-by-sequence-number":
      return needStore((s) => {
        const numbers = list(body["sequence-numbers"]).map(toNumber);
        // receiver-settle-mode 0 is receiveAndDelete, 1 peekLock.
        const receiveAndDelete = toNumber(body["receiver-settle-mode"]) === 0;
        const found = s.receiveDeferred(numbers, receiveAndDelete);
        if (!found) return error(NOT_FOUND, Conditions.messageNotFound, "The message(s) with the given sequence number(s) could not be found or are not deferred.");
        return reply(OK, {
          messages: found.map((r) => ({
            message: r.encoded,
            // Not byte-swapped: the SDK reads this one without reordering (shouldReorderLockToken=false).
            ...(r.lock ? { "lock-token": amqpTypes.wrap_uuid(r.lock.token.bytes) } : {}),
          })),
        });
      });

    case "com.microsoft:schedule-message": {
      const sendTarget = target.sendTarget;
      if (!sendTarget) return error(BAD_REQUEST, Conditions.notAllowed, `cannot schedule messages on ${target.path}`);
      const sequenceNumbers = [];
      for (const entry of list(body["messages"])) {
        const encoded = asRecord(entry)["message"];
        if (!Buffer.isBuffer(encoded)) return error(BAD_REQUEST, Conditions.argumentError, "schedule-message entry without an encoded message");
        for (const fields of unpackTransfer(encoded, 0)) {
          const at = scheduledEnqueueTimeOf(fields) ?? Date.now();
          sequenceNumbers.push(amqpTypes.wrap_long(sendTarget.schedule(fields, at)));
        }
      }
      return reply(OK, { "sequence-numbers": sequenceNumbers });
    }

    case "com.microsoft:cancel-scheduled-message": {
      const sendTarget = target.sendTarget;
      if (!sendTarget) return error(BAD_REQUEST, Conditions.notAllowed, `cannot cancel scheduled messages on ${target.path}`);
      for (const n of list(body["sequence-numbers"]).map(toNumber)) sendTarget.cancelScheduled(n);
      return reply(OK);
    }

    default:
      return error(NOT_IMPLEMENTED, Conditions.notImplemented, `${operation || "(no operation)"} is not implemented by the local broker`);
  }
}
