import { ServiceBusClient } from "@azure/service-bus";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_QUEUE_NAME, DEFAULT_TOPIC_NAME } from "../../src/client/connection";
import { parseNotification, type DeploymentNotification } from "../../src/contracts";
import { instanceIdFor, notificationMessageId } from "../../src/domain/ids";
import { serve, type RunningService } from "../../src/local/serve";
import { LOCAL_SUBSCRIPTIONS } from "../../src/local/serviceBusTopology";
import { runCli } from "../support/cli";
import { sampleEventRequestId, sampleRequest } from "../support/samples";
import { EVENT_CORPUS, eventField, REQUEST_CORPUS, wrapAsEvent, type BadInput } from "./corpus";
import { drainNotifications, recordStack, RELIABILITY_TIMER_LATENESS_SECONDS } from "./support/deploy";
import { recordArtifact, scanForLeaksAfterAll } from "./support/leaks";
import { reportRow } from "./support/report";

/**
 * Promise 6: bad input never crashes or vanishes. The corpus (test/reliability/corpus.ts: wrong JSON,
 * wrong types, missing fields, oversized bodies, hostile strings in names, unknown schema versions,
 * envelopes of the wrong kind) goes through every entry point of one running `flowdeploy serve`: the
 * queue (a Rejected notification naming the field; the queue ends empty, nothing dead-lettered), the
 * HTTP starter (400 — 413 when oversized — with `errors` naming the field), the Event Grid webhook
 * (202 and a Rejected notification naming the field) and the CLI (`validate` and `enqueue`: exit 1,
 * one line per problem naming the field). Never a stack trace, never an instance started or an ARM
 * call made, and afterwards the same process still deploys a valid request from each entry point.
 */
scanForLeaksAfterAll();

const START = new Date("2026-11-23T10:00:00.000Z");
let service: RunningService;
const logs: string[] = [];
beforeAll(async () => {
  service = await serve({ port: 0, startAt: START, runner: { timerLatenessSeconds: RELIABILITY_TIMER_LATENESS_SECONDS }, log: (l) => logs.push(l) });
});
afterAll(async () => {
  recordStack(service.stack, "badInput");
  recordArtifact("badInput: logs", logs.join("\n"));
  await service.close();
});

const textOf = (e: BadInput) => e.text ?? JSON.stringify(e.json);
/** What a stack trace looks like in text: a frame line, a source position, node internals. */
const STACK_TRACE = /\n\s+at\s|\bat\s\S+\s\(.*:\d+:\d+\)|node:internal|\.ts:\d+:\d+/;
/** What a rejection line must never carry from a hostile input: control characters, line separators, bidi overrides. */
const UNPRINTABLE = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

/** A rejection names the field when one of its lines starts with `field: ` (and says what it should). */
function expectNamed(lines: string[], field: string, says: RegExp | undefined, where: string): void {
  expect(lines.some((l) => l.startsWith(`${field}: `)), `${where}: ${JSON.stringify(lines).slice(0, 400)}`).toBe(true);
  if (says) expect(lines.some((l) => says.test(l)), `${where}: ${JSON.stringify(lines).slice(0, 400)}`).toBe(true);
  for (const l of lines) {
    expect(l, where).not.toMatch(STACK_TRACE);
    expect(l, where).not.toMatch(UNPRINTABLE);
  }
}

const rejectionLines = (n: DeploymentNotification) => n.error?.message.split("; ") ?? [];

function expectNothingStarted(): void {
  expect(service.stack.runtime.listInstances()).toHaveLength(0);
  expect(service.stack.sim.requests()).toHaveLength(0);
}

const byEntryPoint: Record<string, number> = {};
const count = (where: string) => (byEntryPoint[where] = (byEntryPoint[where] ?? 0) + 1);
/** What each entry point answered, per corpus entry (docs/reliability.md's table). */
const outcomes = new Map<string, Record<string, string>>();
const note = (label: string, field: string, entryPoint: string, outcome: string) => {
  const row = outcomes.get(label) ?? { field };
  row[entryPoint] = outcome;
  outcomes.set(label, row);
};

describe("bad input never crashes or vanishes", () => {
  it("has a corpus of at least 60 malformed inputs", () => {
    const wrapped = REQUEST_CORPUS.filter((e) => e.target !== false);
    reportRow("badInput-corpus", { requestEntries: REQUEST_CORPUS.length, eventEntries: EVENT_CORPUS.length, wrappedAsEvents: wrapped.length });
    expect(REQUEST_CORPUS.length + EVENT_CORPUS.length).toBeGreaterThanOrEqual(60);
    expect(new Set(REQUEST_CORPUS.map((e) => e.label)).size).toBe(REQUEST_CORPUS.length);
  });

  it("the queue: one Rejected notification per message naming the field; queue empty, nothing dead-lettered or started", async () => {
    const sb = new ServiceBusClient(service.stack.serviceBusConnectionString);
    const sender = sb.createSender(DEFAULT_QUEUE_NAME);
    const sent: { entry: BadInput; messageId: string }[] = [];
    try {
      for (const [i, entry] of REQUEST_CORPUS.entries()) {
        const messageId = `bad-${i}`;
        // Objects go as a producer's SDK sends them; text as text; the plain-text entry also as bytes.
        const body = entry.json !== undefined ? entry.json : entry.text!;
        try {
          await sender.sendMessages({ body, messageId, contentType: "application/json" });
        } catch (err) {
          // Azure Service Bus refuses a message over 256 KB at send (MessageSizeExceeded): it never reaches the trigger.
          expect(entry.oversized, `${entry.label}: ${String(err)}`).toBe(true);
          note(entry.label, entry.field, "queue", "refused at send");
          count("queue (refused at send)");
          continue;
        }
        sent.push({ entry, messageId });
      }
      await sender.sendMessages({ body: Buffer.from("deploy web-classify please"), messageId: "bad-bytes", contentType: "application/octet-stream" });
      sent.push({ entry: { label: "plain text as bytes", field: "(root)", says: /not valid JSON/ }, messageId: "bad-bytes" });
    } finally {
      await sb.close();
    }

    const rejected = await receiveAll(LOCAL_SUBSCRIPTIONS.rejected, sent.length);
    for (const { entry, messageId } of sent) {
      const got = rejected.get(notificationMessageId(`rejected:queue:${messageId}`, "Rejected"));
      expect(got, `no Rejected notification for "${entry.label}"`).toBeDefined();
      expect(got).toMatchObject({ outcome: "Rejected", instanceId: null, error: { stage: "request", code: "InvalidRequest" } });
      expectNamed(rejectionLines(got!), entry.field, entry.says, `queue: ${entry.label}`);
      note(entry.label, entry.field, "queue", "Rejected");
      count("queue");
    }
    expect(rejected.size).toBe(sent.length);
    const queue = service.stack.broker.entity(DEFAULT_QUEUE_NAME);
    expect(queue).toMatchObject({ active: 0, locked: 0, deadLettered: 0 });
    expect(service.stack.broker.stats().abandoned).toBe(0);
    expectNothingStarted();
  });

  it("the HTTP starter: 400 (413 when oversized) with errors naming the field, and nothing started", async () => {
    for (const entry of REQUEST_CORPUS) {
      const res = await fetch(`${service.url}/api/deployments`, { method: "POST", headers: { "content-type": "application/json" }, body: textOf(entry) });
      const text = await res.text();
      expect(res.status, entry.label).toBe(entry.oversized ? 413 : 400);
      expect(text, entry.label).not.toMatch(STACK_TRACE);
      const body = JSON.parse(text) as { errors: string[] };
      expectNamed(body.errors, entry.field, entry.says, `http: ${entry.label}`);
      recordArtifact(`http: ${entry.label}`, text);
      note(entry.label, entry.field, "http", String(res.status));
      count("HTTP starter");
    }
    // A GET for an instance that does not exist, or a hostile id: 404 / 400, never a crash.
    expect((await fetch(`${service.url}/api/deployments/deploy-0000`)).status).toBe(404);
    expect((await fetch(`${service.url}/api/deployments/${encodeURIComponent("../../etc/passwd")}`)).status).toBe(400);
    expectNothingStarted();
  });

  it("the Event Grid webhook: 202 and a Rejected notification naming the field for every bad event", async () => {
    const events: { label: string; text: string; field: string; says?: RegExp | undefined }[] = [
      ...EVENT_CORPUS.map((e) => ({ label: e.label, text: textOf(e), field: e.field, says: e.says })),
      ...REQUEST_CORPUS.filter((e) => e.target !== false).map((e, i) => ({ label: `as data.deploy: ${e.label}`, text: JSON.stringify(wrapAsEvent(e, `bad-event-${i}`)), field: eventField(e.field), says: e.says })),
    ];
    const sb = new ServiceBusClient(service.stack.serviceBusConnectionString);
    const receiver = sb.createReceiver(DEFAULT_TOPIC_NAME, LOCAL_SUBSCRIPTIONS.rejected, { receiveMode: "receiveAndDelete" });
    try {
      // Start from an empty subscription (what earlier tests published was read there).
      while ((await receiver.receiveMessages(100, { maxWaitTimeInMs: 200 })).length > 0);
      for (const e of events) {
        const res = await postEvent(e.text);
        expect(res.status, e.label).toBe(202);
        // One at a time, so each notification is this event's (events without an id have no other key).
        const [m] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 5000 });
        expect(m, `no Rejected notification for event "${e.label}"`).toBeDefined();
        const parsed = parseNotification(m!.body);
        expect(parsed.ok).toBe(true);
        const n = (parsed as { value: DeploymentNotification }).value;
        recordArtifact(`eventGrid: ${e.label}`, n);
        expect(n).toMatchObject({ outcome: "Rejected", error: { stage: "request" } });
        expectNamed(rejectionLines(n), e.field, e.says, `eventGrid: ${e.label}`);
        note(e.label, e.field, "eventGrid", `${res.status}, Rejected`);
        note(e.label, e.field, "message", rejectionLines(n).find((l) => l.startsWith(`${e.field}: `))!.slice(0, 160));
        count("Event Grid webhook");
      }
    } finally {
      await receiver.close();
      await sb.close();
    }
    // What the webhook itself refuses: not JSON, too big, not a notification delivery.
    const notJson = await postEvent("{not json");
    expect(notJson.status).toBe(400);
    expectNamed(((await notJson.json()) as { errors: string[] }).errors, "(root)", /not valid JSON/, "webhook: not JSON");
    const tooBig = await postEvent(JSON.stringify([{ padding: "x".repeat(300 * 1024) }]));
    expect(tooBig.status).toBe(413);
    const wrongKind = await postEvent("[]", "Hello");
    expect(wrongKind.status).toBe(400);
    expectNamed(((await wrongKind.json()) as { errors: string[] }).errors, "aeg-event-type", undefined, "webhook: wrong header");
    count("Event Grid webhook");
    count("Event Grid webhook");
    count("Event Grid webhook");
    expectNothingStarted();
  });

  it("the CLI: validate and enqueue exit 1 with one line per problem naming the field; enqueue sends nothing", async () => {
    const receivedBefore = service.stack.broker.stats().received;
    for (const entry of REQUEST_CORPUS) {
      const validate = await runCli(["validate", "--kind", "request", "-"], textOf(entry));
      expect(validate.code, entry.label).toBe(1);
      expectNamed(validate.stdout.trim().split("\n"), entry.field, entry.says, `validate: ${entry.label}`);
      expect(validate.stderr).not.toMatch(STACK_TRACE);
      count("CLI validate");

      const enqueue = await runCli(["enqueue", "-", "--connection-string", service.stack.serviceBusConnectionString], textOf(entry));
      expect(enqueue.code, entry.label).toBe(1);
      expectNamed(enqueue.stderr.trim().split("\n"), entry.field, entry.says, `enqueue: ${entry.label}`);
      expect(enqueue.stdout).toBe("");
      recordArtifact(`cli: ${entry.label}`, validate.stdout + validate.stderr + enqueue.stdout + enqueue.stderr);
      note(entry.label, entry.field, "cli", `validate ${validate.code}, enqueue ${enqueue.code}`);
      note(entry.label, entry.field, "message", validate.stdout.trim().split("\n").find((l) => l.startsWith(`${entry.field}: `))!.slice(0, 160));
      count("CLI enqueue");
    }
    for (const e of [...EVENT_CORPUS, ...REQUEST_CORPUS.filter((r) => r.target !== false).map((r) => ({ ...r, label: `as data.deploy: ${r.label}`, text: JSON.stringify(wrapAsEvent(r, "x")), field: eventField(r.field) }))]) {
      const validate = await runCli(["validate", "--kind", "event", "-"], textOf(e));
      expect(validate.code, e.label).toBe(1);
      expectNamed(validate.stdout.trim().split("\n"), e.field, e.says, `validate event: ${e.label}`);
      note(e.label, e.field, "cli", `validate ${validate.code}`);
      count("CLI validate --kind event");
    }
    expect(service.stack.broker.stats().received).toBe(receivedBefore);
    expectNothingStarted();
  });

  it("keeps serving: afterwards the same process deploys a valid request from the HTTP starter, the queue and Event Grid", async () => {
    reportRow("badInput", { byEntryPoint });
    for (const [label, row] of outcomes) reportRow("badInput-entry", { label, ...row });
    // No prototype was polluted by the __proto__ / constructor entries.
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();

    const viaHttp = sampleRequest();
    viaHttp["requestId"] = "after-bad-input-http";
    // Both carry a byte-order mark (RFC 8259 lets parsers ignore one): every edge reads it the same way.
    const BOM = "\uFEFF";
    const res = await fetch(`${service.url}/api/deployments`, { method: "POST", headers: { "content-type": "application/json" }, body: BOM + JSON.stringify(viaHttp) });
    expect(res.status).toBe(202);
    await service.stack.runtime.waitForCompletion(instanceIdFor(viaHttp["requestId"]), { timeoutMs: 20_000 });
    const status = await fetch(`${service.url}/api/deployments/${instanceIdFor(viaHttp["requestId"])}`);
    expect(status.status).toBe(200);
    recordArtifact("badInput: status route", await status.text());

    const viaQueue = sampleRequest();
    viaQueue["requestId"] = "after-bad-input-queue";
    viaQueue["deployment"].name = "blue";
    const sb = new ServiceBusClient(service.stack.serviceBusConnectionString);
    await sb.createSender(DEFAULT_QUEUE_NAME).sendMessages({ body: BOM + JSON.stringify(viaQueue), messageId: viaQueue["requestId"] });
    await sb.close();
    const validEvent = wrapAsEvent({ label: "valid", field: "", json: { ...sampleRequest(), deployment: { ...sampleRequest()["deployment"], name: "teal" } } }, "after-bad-input-event");
    expect((await postEvent(JSON.stringify(validEvent))).status).toBe(202);
    const deadline = Date.now() + 10_000;
    while (!service.stack.runtime.getInstance(instanceIdFor(viaQueue["requestId"])) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(service.stack.runtime.getInstance(instanceIdFor(viaQueue["requestId"])), "the valid queued request started").toBeDefined();
    for (const id of [viaQueue["requestId"], sampleEventRequestId()]) {
      await service.stack.runtime.waitForCompletion(instanceIdFor(id), { timeoutMs: 20_000 });
    }
    const published = await drainNotifications(service.stack, { until: (all) => all.filter((n) => n.outcome === "Succeeded").length >= 3 });
    const succeeded = published.filter((n) => n.outcome === "Succeeded").map((n) => n.requestId).sort();
    expect(succeeded).toEqual(["after-bad-input-http", "after-bad-input-queue", sampleEventRequestId()]);
    expect(service.stack.broker.entity(DEFAULT_QUEUE_NAME)).toMatchObject({ active: 0, locked: 0, deadLettered: 0 });
  });
});

function postEvent(body: string, kind = "Notification") {
  return fetch(`${service.url}/runtime/webhooks/eventgrid?functionName=bulkTestEvents`, { method: "POST", headers: { "aeg-event-type": kind, "content-type": "application/json" }, body });
}

/** Receives `n` notifications from a subscription, keyed by messageId. */
async function receiveAll(subscription: string, n: number): Promise<Map<string, DeploymentNotification>> {
  const sb = new ServiceBusClient(service.stack.serviceBusConnectionString);
  const receiver = sb.createReceiver(DEFAULT_TOPIC_NAME, subscription, { receiveMode: "receiveAndDelete" });
  const out = new Map<string, DeploymentNotification>();
  const deadline = Date.now() + 20_000;
  try {
    while (out.size < n && Date.now() < deadline) {
      for (const m of await receiver.receiveMessages(n - out.size, { maxWaitTimeInMs: 1000 })) {
        const parsed = parseNotification(m.body);
        if (!parsed.ok) throw new Error(`a Rejected notification breaks its own contract: ${JSON.stringify(parsed.issues)}`);
        out.set(String(m.messageId), parsed.value);
        recordArtifact(`queue rejection ${String(m.messageId)}`, parsed.value);
      }
    }
  } finally {
    await receiver.close();
    await sb.close();
  }
  return out;
}
