/**
 * The few rhea 3.x runtime pieces the broker needs that rhea's typings leave out, typed in one place.
 * Everything here was read from node_modules/rhea/lib (link.js, session.js, message.js, types.js);
 * if rhea changes these, this file is where it breaks.
 */
import * as rhea from "rhea";
import type { Delivery, Message, Receiver, Sender, Typed } from "rhea";

interface OutcomeFactory {
  (fields?: Record<string, unknown>): { described(): unknown };
}

interface RheaMessageRuntime {
  encode(msg: Record<string, unknown>): Buffer;
  decode(buffer: Buffer): Message;
  accepted: OutcomeFactory;
  rejected: OutcomeFactory;
  modified: OutcomeFactory;
  released: OutcomeFactory;
  data_section(data: Buffer): unknown;
}

interface RheaTypesRuntime {
  wrap_long(n: number | Buffer): Typed;
  wrap_int(n: number): Typed;
  wrap_uuid(b: Buffer): Typed;
  wrap_timestamp(ms: number): Typed;
  wrap_string(s: string): Typed;
}

export const amqpMessage = rhea.message as unknown as RheaMessageRuntime;
export const amqpTypes = rhea.types as unknown as RheaTypesRuntime;

/** A rhea data section (body of `ServiceBusMessage` bodies the SDK encodes as binary). */
export interface DataSection {
  typecode: number;
  content: unknown;
  multiple?: boolean;
}

export function isDataSection(body: unknown): body is DataSection {
  return typeof body === "object" && body !== null && "typecode" in body && "content" in body;
}

interface CircularBuffer {
  available(): number;
  by_id(id: number): { link: unknown } | undefined;
}

interface Outgoing {
  deliveries: CircularBuffer;
  next_delivery_id: number;
  next_pending_delivery: number;
  available(): number;
}

interface SenderInternals {
  session: { outgoing: Outgoing };
  credit: number;
  delivery_count: number;
  _draining: boolean;
  _drained: boolean;
  _get_drain(): boolean;
  local: { attach: { snd_settle_mode?: number; rcv_settle_mode?: number } };
}

interface ReceiverInternals {
  credit: number;
  local: { attach: { snd_settle_mode?: number; rcv_settle_mode?: number } };
}

function internals(sender: Sender): SenderInternals {
  return sender as unknown as SenderInternals;
}

/** Deliveries handed to `sender.send` that rhea has not written yet (rhea takes credit only when it writes). */
export function unsentDeliveries(sender: Sender): number {
  const out = internals(sender).session.outgoing;
  let n = 0;
  for (let id = out.next_pending_delivery; id < out.next_delivery_id; id++) {
    if (out.deliveries.by_id(id)?.link === sender) n++;
  }
  return n;
}

/** Link credit the broker may still use on this sender, and room in the session's outgoing buffer (2048). */
export function usableCredit(sender: Sender): number {
  const s = internals(sender);
  return Math.max(0, Math.min(s.credit - unsentDeliveries(sender), s.session.outgoing.available()));
}

export function isDraining(sender: Sender): boolean {
  return internals(sender)._draining;
}

/**
 * rhea only answers a drain request while credit is left; when transfers used it all up it writes
 * a flow without the drain flag, and the SDK (which waits for `receiver_drained`) times out and closes
 * its link. This variant always echoes `drain=true`, once per drain request, after every queued
 * transfer was written.
 */
export function installDrainEcho(sender: Sender): void {
  const s = internals(sender);
  s._get_drain = function (this: SenderInternals) {
    if (!this._draining || !this._drained) return false;
    if (unsentDeliveries(sender) > 0) return false;
    this.delivery_count += this.credit;
    this.credit = 0;
    this._drained = false;
    return true;
  };
}

/** Copy the settle modes the peer asked for into our attach (Service Bus echoes them). */
export function echoSettleModes(link: Sender | Receiver): void {
  const l = link as unknown as SenderInternals | ReceiverInternals;
  l.local.attach.snd_settle_mode = link.snd_settle_mode;
  l.local.attach.rcv_settle_mode = link.rcv_settle_mode;
}

/**
 * Settles an outgoing delivery with `outcome`. The SDK's peek-lock receivers settle in the second mode
 * (they send an unsettled disposition and wait for ours) and never confirm our settlement, so rhea
 * would keep the delivery in the session's 2048-slot buffer forever; mark it remotely settled too.
 */
export function settleDelivery(delivery: Delivery, outcome: unknown): void {
  delivery.update(true, outcome);
  (delivery as unknown as { remote_settled: boolean }).remote_settled = true;
}

export const outcomes = {
  accepted: () => amqpMessage.accepted().described(),
  rejected: (condition: string, description: string) =>
    amqpMessage.rejected({ error: { condition, description } }).described(),
};

/** Credit the peer still has on a link we receive on. */
export function receiverCredit(receiver: Receiver): number {
  return (receiver as unknown as ReceiverInternals).credit;
}

/** Sends a plain message object (rhea's Message typing wants methods only its decoder adds). */
export function sendFields(sender: Sender, fields: Record<string, unknown>): Delivery {
  return sender.send(fields as unknown as Message);
}
