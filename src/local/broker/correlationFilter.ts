/**
 * Subscription rules. Only correlation filters (and the default TrueFilter) are implemented: every
 * property the filter names must equal the message's; application properties compare by value and
 * type, as Service Bus does (the string "1" does not match the number 1).
 */
import { type AmqpFields, stringField } from "./messageCodec";
import type { CorrelationFilter, SubscriptionFilter } from "./options";

const SYSTEM_PROPERTIES: ReadonlyArray<[keyof CorrelationFilter, string]> = [
  ["correlationId", "correlation_id"],
  ["messageId", "message_id"],
  ["subject", "subject"],
  ["to", "to"],
  ["replyTo", "reply_to"],
  ["contentType", "content_type"],
  ["sessionId", "group_id"],
  ["replyToSessionId", "reply_to_group_id"],
];

export function matchesCorrelation(filter: CorrelationFilter, fields: AmqpFields): boolean {
  for (const [key, amqpName] of SYSTEM_PROPERTIES) {
    const expected = filter[key];
    if (expected === undefined) continue;
    if (stringField(fields, amqpName) !== expected) return false;
  }
  if (filter.applicationProperties) {
    const props = fields.application_properties ?? {};
    for (const [key, expected] of Object.entries(filter.applicationProperties)) {
      if (!Object.prototype.hasOwnProperty.call(props, key) || props[key] !== expected) return false;
    }
  }
  return true;
}

/** No filter is the TrueFilter of a subscription's `$Default` rule. */
export function matchesSubscription(filter: SubscriptionFilter | undefined, fields: AmqpFields): boolean {
  if (!filter?.correlation) return true;
  return matchesCorrelation(filter.correlation, fields);
}

/** Rejects filters the broker cannot evaluate, at start rather than silently matching everything. */
export function validateFilter(subscriptionPath: string, filter: SubscriptionFilter | undefined): void {
  if (filter === undefined) return;
  const extra = Object.keys(filter).filter((k) => k !== "correlation");
  if (extra.length > 0) throw new Error(`${subscriptionPath}: only correlation filters are supported (got ${extra.join(", ")})`);
  for (const [k, v] of Object.entries(filter.correlation?.applicationProperties ?? {})) {
    if (!["string", "number", "boolean"].includes(typeof v)) throw new Error(`${subscriptionPath}: filter property ${k} must be a string, number or boolean`);
  }
}
