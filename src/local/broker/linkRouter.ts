/**
 * Connection handling: what each link the SDK attaches is for, and the events on it.
 *
 * The SDK opens one connection per ServiceBusClient and one session per link. Per connection it
 * attaches a `$cbs` request/response pair first, then for each sender/receiver a link to the entity
 * path, and for management operations a request/response pair on `<entity>/$management` whose
 * receiver link is addressed (target) by the `reply_to` the requests carry.
 *
 * Roles are kept in WeakMaps keyed by rhea link objects; all events arrive on the container (no
 * listeners on links, so rhea bubbles everything up).
 */
import type { Connection, Delivery, EventContext, Message, Receiver, Sender } from "rhea";
import type { BrokerContext } from "./brokerContext";
import { handleCbsRequest, type RequestReply } from "./cbs";
import { Conditions } from "./constants";
import type { EntityRegistry, ResolvedPath, SendableEntity } from "./entities";
import { isCbsAddress, type ParsedPath, parseEntityPath } from "./entityPaths";
import { handleManagementRequest } from "./management";
import { unpackTransfer } from "./messageCodec";
import { type Consumer, echoOutcome, type MessageStore, type Settlement } from "./messageStore";
import { echoSettleModes, installDrainEcho, receiverCredit, sendFields } from "./rheaInternals";

/** Credit granted to each link the SDK sends on; topped up when half is used. */
const PRODUCER_CREDIT = 1000;

type ReceiverRole =
  | { kind: "cbs" }
  | { kind: "management"; target: ResolvedPath | undefined }
  | { kind: "producer"; target: SendableEntity };

type SenderRole = { kind: "consumer"; store: MessageStore; consumer: Consumer } | { kind: "replies" };

interface ConnectionState {
  /** Reply links by the address a request's reply_to names (link target address, or link name for $cbs). */
  replyLinks: Map<string, Sender>;
  consumers: Array<{ store: MessageStore; sender: Sender }>;
}

export interface LinkRouterOptions {
  registry: EntityRegistry;
  context: BrokerContext;
  autoCreateEntities: boolean;
}

function addressOf(terminus: unknown): string | undefined {
  if (typeof terminus === "object" && terminus !== null && "address" in terminus) {
    const a = (terminus as { address?: unknown }).address;
    return typeof a === "string" ? a : undefined;
  }
  return undefined;
}

function terminus(address: string | undefined): { address: string } {
  return { address: address ?? "" };
}

function hasSessionFilter(source: unknown): boolean {
  if (typeof source !== "object" || source === null || !("filter" in source)) return false;
  const filter = (source as { filter?: unknown }).filter;
  return typeof filter === "object" && filter !== null && "com.microsoft:session-filter" in filter;
}

export class LinkRouter {
  readonly connections = new Set<Connection>();
  private readonly receiverRoles = new WeakMap<Receiver, ReceiverRole>();
  private readonly senderRoles = new WeakMap<Sender, SenderRole>();
  private readonly state = new WeakMap<Connection, ConnectionState>();

  constructor(private readonly opts: LinkRouterOptions) {}

  // ---- connection lifecycle ---------------------------------------------------------------------

  onConnectionOpen(connection: Connection): void {
    this.connections.add(connection);
    this.stateOf(connection);
  }

  onConnectionGone(connection: Connection): void {
    this.connections.delete(connection);
    const s = this.state.get(connection);
    if (!s) return;
    for (const c of s.consumers) c.store.removeConsumer(c.sender);
    s.consumers = [];
    s.replyLinks.clear();
  }

  private stateOf(connection: Connection): ConnectionState {
    let s = this.state.get(connection);
    if (!s) {
      s = { replyLinks: new Map(), consumers: [] };
      this.state.set(connection, s);
    }
    return s;
  }

  // ---- attach -----------------------------------------------------------------------------------

  private resolve(parsed: ParsedPath | undefined): ResolvedPath | undefined {
    if (!parsed) return undefined;
    const { registry } = this.opts;
    return this.opts.autoCreateEntities && !parsed.management ? registry.resolveOrCreate(parsed) : registry.resolve(parsed);
  }

  /** Used by $cbs: does the audience name an entity (or may it be created on attach)? */
  audienceExists(audience: string): boolean {
    const parsed = parseEntityPath(audience);
    if (!parsed) return true;
    return this.opts.autoCreateEntities || this.opts.registry.resolve(parsed) !== undefined;
  }

  /** The SDK attached a sender: we receive. Target is `$cbs`, `<entity>/$management`, or a queue/topic. */
  onReceiverOpen(receiver: Receiver): void {
    const address = addressOf(receiver.target);
    echoSettleModes(receiver);
    receiver.set_target(terminus(address));
    if (isCbsAddress(address)) {
      this.receiverRoles.set(receiver, { kind: "cbs" });
    } else {
      const parsed = parseEntityPath(address);
      if (parsed?.management) {
        this.receiverRoles.set(receiver, { kind: "management", target: this.resolve({ ...parsed, management: false }) });
      } else {
        const target = this.resolve(parsed);
        if (!target?.sendTarget || parsed?.deadLetter) {
          this.refuse(receiver, address, target ? "send to" : "find");
          return;
        }
        this.receiverRoles.set(receiver, { kind: "producer", target: target.sendTarget });
      }
    }
    receiver.add_credit(PRODUCER_CREDIT);
  }

  /** The SDK attached a receiver: we send. Source is `$cbs` / `<entity>/$management` (replies) or a queue/subscription. */
  onSenderOpen(sender: Sender): void {
    const address = addressOf(sender.source);
    echoSettleModes(sender);
    const parsed = parseEntityPath(address);
    const conn = this.stateOf(sender.connection);
    if (isCbsAddress(address) || parsed?.management) {
      sender.set_source(terminus(address));
      const replyTo = addressOf(sender.target);
      if (replyTo) conn.replyLinks.set(replyTo, sender);
      conn.replyLinks.set(sender.name, sender);
      this.senderRoles.set(sender, { kind: "replies" });
      return;
    }
    if (hasSessionFilter(sender.source)) {
      sender.close({ condition: Conditions.notImplemented, description: "The local broker does not implement sessions." });
      return;
    }
    const target = this.resolve(parsed);
    if (!target?.store) {
      this.refuse(sender, address, target ? "receive from" : "find");
      return;
    }
    sender.set_source(terminus(address));
    sender.set_target(terminus(addressOf(sender.target)));
    installDrainEcho(sender);
    // Peek-lock receivers ask for unsettled transfers; receiveAndDelete ones for settled (snd-settle-mode 1).
    const consumer = target.store.addConsumer(sender, sender.snd_settle_mode === 1);
    this.senderRoles.set(sender, { kind: "consumer", store: target.store, consumer });
    conn.consumers.push({ store: target.store, sender });
  }

  private refuse(link: Sender | Receiver, address: string | undefined, verb: "find" | "send to" | "receive from"): void {
    if (verb === "find") {
      link.close({ condition: Conditions.notFound, description: `The messaging entity '${address ?? ""}' could not be found.` });
    } else {
      link.close({ condition: Conditions.notAllowed, description: `Cannot ${verb} '${address ?? ""}'.` });
    }
  }

  onLinkClosed(link: Sender | Receiver): void {
    const sender = link as Sender;
    const role = this.senderRoles.get(sender);
    if (!role) return;
    const conn = this.state.get(sender.connection);
    if (role.kind === "consumer") {
      role.store.removeConsumer(sender);
      if (conn) conn.consumers = conn.consumers.filter((c) => c.sender !== sender);
    } else if (conn) {
      for (const [key, l] of conn.replyLinks) if (l === sender) conn.replyLinks.delete(key);
    }
  }

  // ---- traffic ----------------------------------------------------------------------------------

  onSenderFlow(sender: Sender): void {
    const role = this.senderRoles.get(sender);
    if (role?.kind === "consumer") role.store.onFlow(role.consumer);
  }

  onMessage(context: EventContext): void {
    const receiver = context.receiver;
    const delivery = context.delivery;
    if (!receiver || !delivery) return;
    const role = this.receiverRoles.get(receiver);
    // Keep senders supplied with credit (rhea's own credit window is off for broker links).
    const credit = receiverCredit(receiver);
    if (credit < PRODUCER_CREDIT / 2) receiver.add_credit(PRODUCER_CREDIT - credit);
    if (!role) {
      delivery.reject({ condition: Conditions.notAllowed, description: "link is not attached to an entity" });
      return;
    }
    const payload = context.message as Message | Buffer | undefined;
    if (payload === undefined) {
      delivery.reject({ condition: Conditions.argumentError, description: "empty transfer" });
      return;
    }
    if (role.kind === "producer") {
      try {
        const format = (context as EventContext & { format?: number }).format;
        role.target.accept(unpackTransfer(payload, format));
        delivery.accept();
      } catch (e) {
        delivery.reject({ condition: Conditions.internalError, description: e instanceof Error ? e.message : String(e) });
      }
      return;
    }
    delivery.accept();
    if (Buffer.isBuffer(payload)) return;
    const answer: RequestReply =
      role.kind === "cbs"
        ? handleCbsRequest(payload, (audience) => this.audienceExists(audience))
        : this.management(role.target, payload);
    this.sendReply(receiver, payload, answer);
  }

  private management(target: ResolvedPath | undefined, request: Message): RequestReply {
    const op = String((request.application_properties as Record<string, unknown> | undefined)?.["operation"] ?? "").replace(/^com\.microsoft:/, "");
    const counts = this.opts.context.managementRequests;
    counts[op] = (counts[op] ?? 0) + 1;
    return handleManagementRequest(target, request);
  }

  private sendReply(receiver: Receiver, request: Message, answer: RequestReply): void {
    const replyTo = typeof request.reply_to === "string" ? request.reply_to : undefined;
    const links = this.stateOf(receiver.connection).replyLinks;
    let link = replyTo !== undefined ? links.get(replyTo) : undefined;
    if (!link || !link.is_open()) {
      // Fall back to a reply link on the same node in the same session.
      const node = addressOf(receiver.target);
      link = [...links.values()].find((l) => l.is_open() && l.session === receiver.session && addressOf(l.source) === node);
    }
    if (!link) return;
    sendFields(link, {
      correlation_id: request.message_id,
      ...(replyTo !== undefined ? { to: replyTo } : {}),
      application_properties: answer.application_properties,
      ...(answer.body !== undefined ? { body: answer.body } : {}),
    });
  }

  /** A peek-lock receiver settled a delivery (accepted / modified / rejected / released). */
  onOutcome(kind: "accepted" | "modified" | "rejected" | "released", context: EventContext): void {
    const sender = context.sender;
    const delivery = context.delivery;
    if (!sender || !delivery) return;
    const role = this.senderRoles.get(sender);
    if (role?.kind !== "consumer") return;
    const settlement = settlementOf(kind, delivery);
    role.store.settleDelivery(delivery, settlement, echoOutcome(settlement));
  }
}

function recordOf(v: unknown): Record<string, unknown> | undefined {
  return typeof v === "object" && v !== null && !Buffer.isBuffer(v) ? (v as Record<string, unknown>) : undefined;
}

/**
 * How the SDK settles over the link: complete = accepted; abandon = modified{undeliverable_here:false};
 * defer = modified{undeliverable_here:true} (properties to modify in message_annotations);
 * dead-letter = rejected{error:{condition:'com.microsoft:dead-letter', info:{DeadLetterReason,
 * DeadLetterErrorDescription, ...properties to modify}}}. Released is treated as an abandon.
 */
export function settlementOf(kind: "accepted" | "modified" | "rejected" | "released", delivery: Delivery): Settlement {
  const state = recordOf(delivery.remote_state) ?? {};
  switch (kind) {
    case "accepted":
      return { kind: "complete" };
    case "released":
      return { kind: "abandon" };
    case "modified": {
      const props = recordOf(state["message_annotations"]);
      const withProps = props && Object.keys(props).length > 0 ? { propertiesToModify: props } : {};
      return state["undeliverable_here"] === true ? { kind: "defer", ...withProps } : { kind: "abandon", ...withProps };
    }
    case "rejected": {
      const error = recordOf(state["error"]) ?? {};
      const info = { ...(recordOf(error["info"]) ?? {}) };
      const reason = info["DeadLetterReason"];
      const description = info["DeadLetterErrorDescription"];
      delete info["DeadLetterReason"];
      delete info["DeadLetterErrorDescription"];
      const isDeadLetter = error["condition"] === Conditions.deadLetter;
      return {
        kind: "deadLetter",
        ...(typeof reason === "string" ? { reason } : !isDeadLetter && typeof error["condition"] === "string" ? { reason: error["condition"] } : {}),
        ...(typeof description === "string" ? { description } : !isDeadLetter && typeof error["description"] === "string" ? { description: error["description"] } : {}),
        ...(Object.keys(info).length > 0 ? { propertiesToModify: info } : {}),
      };
    }
  }
}

