import { InvocationContext } from "@azure/functions";
import { afterEach, describe, expect, it } from "vitest";
import { sourceKey, type DeploymentNotification } from "../../src/contracts";
import { instanceIdFor } from "../../src/domain/ids";
import { intakePolicyFrom, type IntakePolicy } from "../../src/intake/policy";
import { parseConfig } from "../../src/config";
import { startLocalStack, type LocalStack } from "../../src/local/localStack";
import { drainNotifications } from "../reliability/support/deploy";
import { sampleEvent } from "../support/samples";

/**
 * Threat: whoever can publish an event says a flow "passed". Defence: server-side gates, allowed
 * sources, an age window and source-bound request ids, applied by the Event Grid trigger itself.
 * docs/security.md, rows E1-E4. Every test goes through the registered Event Grid handler.
 */
const NOW = new Date("2026-11-23T10:05:00.000Z");
const TOPIC = "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-promptflow/providers/Microsoft.EventGrid/topics/bulk-tests";
const WORKSPACE = "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-promptflow/providers/Microsoft.MachineLearningServices/workspaces/ws-promptflow";

let stack: LocalStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

/** A production-like policy: the settings as an operator writes them, parsed as the Function App parses them. */
function policy(env: Record<string, string>): IntakePolicy {
  return intakePolicyFrom(parseConfig({ FLOWDEPLOY_ALLOWED_WORKSPACES: WORKSPACE, FLOWDEPLOY_ALLOWED_EVENT_SOURCES: TOPIC, FLOWDEPLOY_GATES: '{"accuracy": 0.85}', ...env }));
}

/** A BulkTestPassed CloudEvent from TOPIC, sent at `time`. */
function bulkTestEvent(data: Record<string, unknown> = {}, envelope: Record<string, unknown> = {}): Record<string, any> {
  const event = sampleEvent();
  event["source"] = TOPIC;
  event["time"] = "2026-11-23T10:00:00.000Z";
  event["data"] = { ...event["data"], metrics: { accuracy: 0.9 }, thresholds: {}, ...data };
  return { ...event, ...envelope };
}

async function deliver(p: IntakePolicy, ...events: unknown[]): Promise<{ rejected: DeploymentNotification[]; instances: string[]; s: LocalStack }> {
  const s = (stack = await startLocalStack({ startAt: NOW, policy: p }));
  await s.runtime.stop();
  const context = new InvocationContext({ functionName: "bulkTestEvents", logHandler: () => undefined });
  for (const event of events) await s.app.handlers.bulkTestEvents(event, s.client, context);
  // The handler returned after its sends settled: whatever it published is on the topic already.
  const rejected = (await drainNotifications(s, { until: () => true, quietMs: 500 })).filter((n) => n.outcome === "Rejected");
  return { rejected, instances: s.runtime.listInstances().map((r) => r.instanceId), s };
}

describe("E1: quality gates live on the server", () => {
  it("a passing event from an allowed source starts a deployment", async () => {
    const { rejected, instances } = await deliver(policy({}), bulkTestEvent());
    expect(rejected).toEqual([]);
    expect(instances).toHaveLength(1);
  });

  it("an event that vouches for itself with its own lower threshold is refused by the server's gate, naming the metric", async () => {
    const { rejected, instances } = await deliver(policy({}), bulkTestEvent({ metrics: { accuracy: 0.6 }, thresholds: { accuracy: 0.5 } }));
    expect(instances).toEqual([]);
    expect(rejected).toEqual([expect.objectContaining({ error: expect.objectContaining({ code: "GateFailed", message: expect.stringContaining("data.metrics.accuracy: accuracy = 0.6 is below the minimum 0.85") }) })]);
    // What is known is kept (issue 14): `watch --request-id bulktest-…` sees the rejection.
    expect(rejected[0]!.requestId).toMatch(/^bulktest-[0-9a-f]{12}-/);
    expect(rejected[0]).toMatchObject({ workspace: { name: expect.any(String) }, endpoint: { name: expect.any(String) } });
  });

  it("a gated metric the event leaves out is refused", async () => {
    const { rejected } = await deliver(policy({}), bulkTestEvent({ metrics: { fluency: 5 } }));
    expect(rejected[0]?.error).toMatchObject({ code: "GateFailed", message: expect.stringContaining("metric accuracy has a threshold but is missing") });
  });

  it("an event's own threshold can tighten a gate, never loosen it", async () => {
    const { rejected } = await deliver(policy({}), bulkTestEvent({ metrics: { accuracy: 0.9 }, thresholds: { accuracy: 0.95 } }));
    expect(rejected[0]?.error).toMatchObject({ code: "GateFailed", message: expect.stringContaining("data.metrics.accuracy") });
    // Refused by its own threshold, it still names what it asked for (issue 14): watch --request-id sees it.
    expect(rejected[0]!.requestId).toMatch(/^bulktest-[0-9a-f]{12}-/);
    expect(rejected[0]).toMatchObject({ workspace: { name: expect.any(String) }, endpoint: { name: expect.any(String) } });
    const { rejected: gated } = await deliver(policy({ FLOWDEPLOY_GATES: '{"accuracy": {"min": 0.85}, "latency_p95_ms": {"max": 900}}' }), bulkTestEvent({ metrics: { accuracy: 0.9, latency_p95_ms: 950 }, thresholds: { latency_p95_ms: { max: 2000 } } }));
    expect(gated[0]?.error).toMatchObject({ code: "GateFailed", message: expect.stringContaining("latency_p95_ms = 950 is above the maximum 900") });
  });

  it("with no gates configured (FLOWDEPLOY_GATES unset), bulk-test events are refused: fail closed", async () => {
    const { rejected, instances } = await deliver(intakePolicyFrom(parseConfig({ FLOWDEPLOY_ALLOWED_WORKSPACES: WORKSPACE, FLOWDEPLOY_ALLOWED_EVENT_SOURCES: TOPIC })), bulkTestEvent());
    expect(instances).toEqual([]);
    expect(rejected[0]?.error).toMatchObject({ code: "GateFailed", message: expect.stringContaining("no quality gates are configured") });
  });
});

describe("E2: events come only from allowed sources", () => {
  it("refuses an event from a topic not in FLOWDEPLOY_ALLOWED_EVENT_SOURCES, and a source that is not a resource id (fail closed)", async () => {
    const other = TOPIC.replace("bulk-tests", "someone-elses");
    const { rejected, instances } = await deliver(policy({}), bulkTestEvent({}, { source: other }), bulkTestEvent({}, { source: "/bulk-tests", id: "e2" }));
    expect(instances).toEqual([]);
    expect(rejected.map((n) => [n.error?.code, n.error?.message])).toEqual([
      ["EventSourceNotAllowed", expect.stringContaining("source: this source is not in FLOWDEPLOY_ALLOWED_EVENT_SOURCES")],
      ["EventSourceNotAllowed", expect.stringContaining("source: expected the resource id")],
    ]);
  });

  it("the source is judged before the event's own thresholds: a foreign event below them is refused for where it came from", async () => {
    const other = TOPIC.replace("bulk-tests", "someone-elses");
    const { rejected } = await deliver(policy({}), bulkTestEvent({ metrics: { accuracy: 0.9 }, thresholds: { accuracy: 0.95 } }, { source: other }));
    expect(rejected.map((n) => n.error?.code)).toEqual(["EventSourceNotAllowed"]);
  });

  it("an Azure ML RunCompleted must come from an allowed workspace that is its target; a source that is not a workspace is refused", async () => {
    const run = (source: string, target: Record<string, unknown>) => ({
      specversion: "1.0",
      id: `run-${source.length}`,
      source,
      type: "Microsoft.MachineLearningServices.RunCompleted",
      time: "2026-11-23T10:00:00.000Z",
      data: { runId: "run-1", runTags: { "flowdeploy.passed": "true", "flowdeploy.request": JSON.stringify(target) } },
    });
    const { workspace: _w, ...target } = sampleEvent()["data"].deploy as Record<string, unknown>;
    const otherWs = WORKSPACE.replace("ws-promptflow", "ws-other");
    const { rejected, instances } = await deliver(policy({}), run("/not-a-workspace", target), run(otherWs, target), run(WORKSPACE, target));
    expect(rejected.map((n) => n.error?.message)).toEqual([expect.stringContaining("source: expected the resource id of the Azure ML workspace"), expect.stringContaining("workspace: this workspace is not in FLOWDEPLOY_ALLOWED_WORKSPACES")]);
    expect(instances).toHaveLength(1);
  });
});

describe("E3: stale and future events are refused", () => {
  it("refuses an event older than FLOWDEPLOY_EVENT_MAX_AGE_MINUTES, one from the future, and one without a time", async () => {
    const { time: _t, ...untimed } = bulkTestEvent({}, { id: "no-time" });
    const { rejected, instances } = await deliver(
      policy({ FLOWDEPLOY_EVENT_MAX_AGE_MINUTES: "60" }),
      bulkTestEvent({}, { id: "old", time: "2026-11-23T08:00:00.000Z" }),
      bulkTestEvent({}, { id: "future", time: "2026-11-23T10:30:00.000Z" }),
      untimed,
    );
    expect(instances).toEqual([]);
    expect(rejected.map((n) => n.error?.message)).toEqual([
      expect.stringContaining("time: the event is 125 minutes old; at most 60"),
      expect.stringContaining("time: the event is stamped 25 minutes in the future"),
      expect.stringContaining("time: required"),
    ]);
  });

  it("the default window is a day", async () => {
    const { rejected } = await deliver(policy({}), bulkTestEvent({}, { time: "2026-11-22T09:00:00.000Z" }));
    expect(rejected[0]?.error).toMatchObject({ code: "EventTooOld", message: expect.stringContaining("at most 1440") });
  });
});

describe("E4: a forged event cannot squat a future run's request id", () => {
  it("the same run id from another source is another request; the real event still deploys", async () => {
    const forgedSource = TOPIC.replace("rg-promptflow", "rg-attacker");
    const lenient = { ...policy({}), allowedEventSources: [TOPIC.toLowerCase(), forgedSource.toLowerCase()] };
    const { instances } = await deliver(lenient, bulkTestEvent({}, { id: "forged", source: forgedSource }), bulkTestEvent({}, { id: "real" }));
    const runId = sampleEvent()["data"].bulkTestRunId as string;
    expect(instances.sort()).toEqual([instanceIdFor(`bulktest-${sourceKey(forgedSource)}-${runId}`), instanceIdFor(`bulktest-${sourceKey(TOPIC)}-${runId}`)].sort());
  });
});
