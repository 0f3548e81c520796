import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { classifyEvent, formatIssues, sourceKey, TAG_PASSED, TAG_REQUEST, type EventClassification } from "../../../src/contracts";
import { readJson, sampleTarget, azureFixtures } from "../../support/samples";

const WORKSPACE_TOPIC =
  "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-promptflow/providers/Microsoft.MachineLearningServices/workspaces/ws-promptflow";

function bulkTestData(overrides: Record<string, unknown> = {}) {
  return {
    schemaVersion: "1",
    bulkTestRunId: "web_classification_bulk_run_01",
    evaluationRunId: "eval_run_01",
    metrics: { accuracy: 0.91, latency_p95_ms: 850 },
    thresholds: { accuracy: 0.8, latency_p95_ms: { max: 1000 } },
    deploy: sampleTarget(),
    ...overrides,
  };
}

const eventGrid = (data: unknown, eventType = "PromptFlow.BulkTestPassed") => ({
  id: "e1",
  topic: "/subscriptions/x/resourceGroups/y/providers/Microsoft.EventGrid/topics/bulk-tests",
  subject: "flows/web-classification",
  eventType,
  eventTime: "2026-11-23T10:00:00Z",
  data,
  dataVersion: "1",
});

const cloudEvent = (data: unknown, type = "PromptFlow.BulkTestPassed") => ({
  specversion: "1.0",
  id: "c1",
  source: "/bulk-tests",
  type,
  time: "2026-11-23T10:00:00Z",
  data,
});

function issuesOf(result: EventClassification): string[] {
  return result.outcome === "rejected" ? formatIssues(result.issues) : [];
}

describe("PromptFlow.BulkTestPassed", () => {
  it.each([
    ["Event Grid schema", eventGrid(bulkTestData())],
    ["CloudEvents 1.0", cloudEvent(bulkTestData())],
  ])("maps a passing %s event to a deploy request whose id derives from its source and the bulk test run", (_name, event) => {
    const result = classifyEvent(event);
    expect(result.outcome).toBe("accepted");
    if (result.outcome !== "accepted") return;
    const source = "topic" in event ? event.topic : event.source;
    expect(result.request.requestId).toBe(`bulktest-${sourceKey(source)}-web_classification_bulk_run_01`);
    expect(result.request.requestId).toMatch(/^bulktest-[0-9a-f]{12}-web_classification_bulk_run_01$/);
    expect(result.request.endpoint.name).toBe("web-classify");
    expect(result.bulkTestRunId).toBe("web_classification_bulk_run_01");
  });

  it("gives the same request id for every delivery of the same bulk test (at-least-once delivery)", () => {
    const a = classifyEvent(eventGrid(bulkTestData()));
    const b = classifyEvent({ ...eventGrid(bulkTestData()), id: "another-delivery", topic: eventGrid(null).topic.toUpperCase() });
    expect(a.outcome === "accepted" && b.outcome === "accepted" && a.request.requestId === b.request.requestId).toBe(true);
  });

  it("gives another source's event for the same run id another request id (no squatting a future run's id)", () => {
    const real = classifyEvent(eventGrid(bulkTestData()));
    const forged = classifyEvent({ ...eventGrid(bulkTestData()), topic: "/subscriptions/x/resourceGroups/attacker/providers/Microsoft.EventGrid/topics/bulk-tests" });
    expect(real.outcome === "accepted" && forged.outcome === "accepted" && real.request.requestId !== forged.request.requestId).toBe(true);
  });

  it("rejects an event whose metric misses its minimum, naming the metric", () => {
    const result = classifyEvent(eventGrid(bulkTestData({ metrics: { accuracy: 0.62, latency_p95_ms: 850 } })));
    expect(issuesOf(result)).toEqual(["data.metrics.accuracy: accuracy = 0.62 is below the minimum 0.8"]);
  });

  it("rejects a lower-is-better metric above its maximum", () => {
    const result = classifyEvent(cloudEvent(bulkTestData({ metrics: { accuracy: 0.9, latency_p95_ms: 1400 } })));
    expect(issuesOf(result)).toEqual(["data.metrics.latency_p95_ms: latency_p95_ms = 1400 is above the maximum 1000"]);
  });

  it("rejects a threshold whose metric is missing", () => {
    const result = classifyEvent(eventGrid(bulkTestData({ metrics: { latency_p95_ms: 10 } })));
    expect(issuesOf(result)).toEqual(["data.metrics.accuracy: metric accuracy has a threshold but is missing from the metrics"]);
  });

  it("accepts metrics without thresholds, and thresholds given as {min, max}", () => {
    expect(classifyEvent(eventGrid(bulkTestData({ thresholds: undefined }))).outcome).toBe("accepted");
    expect(classifyEvent(eventGrid(bulkTestData({ thresholds: { accuracy: { min: 0.5, max: 1 } } }))).outcome).toBe("accepted");
  });

  it("names bad fields inside the deploy target", () => {
    const deploy = sampleTarget();
    deploy.deployment.instanceCount = 0;
    deploy.endpoint.name = "no_underscores";
    const lines = issuesOf(classifyEvent(eventGrid(bulkTestData({ deploy }))));
    expect(lines).toContain("data.deploy.deployment.instanceCount: expected a positive integer");
    expect(lines.some((l) => l.startsWith("data.deploy.endpoint.name: "))).toBe(true);
  });

  it("refuses a deploy target that carries its own requestId (it derives from the run)", () => {
    const deploy = { ...sampleTarget(), requestId: "sneaky" };
    expect(issuesOf(classifyEvent(eventGrid(bulkTestData({ deploy }))))).toEqual(['data.deploy: unknown field "requestId"']);
  });

  it("rejects envelopes missing their required fields", () => {
    const { eventType: _e, ...noType } = eventGrid(bulkTestData());
    expect(issuesOf(classifyEvent(noType)).join("\n")).toMatch(/not an event/);
    const { source: _s, ...noSource } = cloudEvent(bulkTestData());
    expect(issuesOf(classifyEvent(noSource))).toEqual(["source: required"]);
    expect(issuesOf(classifyEvent({ ...cloudEvent(bulkTestData()), specversion: "0.3" }))).toEqual(['specversion: only CloudEvents "1.0" is supported']);
    expect(issuesOf(classifyEvent({ ...eventGrid(bulkTestData()), eventTime: "yesterday" }))[0]).toMatch(/^eventTime: /);
  });

  it("rejects an unknown event type and things that are not events", () => {
    expect(issuesOf(classifyEvent(eventGrid(bulkTestData(), "Contoso.SomethingElse")))[0]).toMatch(/^eventType: unsupported event type "Contoso.SomethingElse"/);
    expect(classifyEvent("a string").outcome).toBe("rejected");
    expect(classifyEvent(null).outcome).toBe("rejected");
    expect(issuesOf(classifyEvent({ schemaVersion: "1", requestId: "r" }))[0]).toMatch(/not an event/);
  });

  it("reads envelope keys case-insensitively (the CloudEvents fixtures spell specVersion)", () => {
    const { specversion: _v, ...rest } = cloudEvent(bulkTestData());
    expect(classifyEvent({ ...rest, specVersion: "1.0" }).outcome).toBe("accepted");
  });
});

describe("Azure ML RunCompleted", () => {
  const runCompleted = (tags: Record<string, string>, envelope: "eventgrid" | "cloudevents" = "eventgrid") => {
    const file = envelope === "eventgrid" ? "eventgrid.RunCompleted.json" : "eventgrid.cloudevents.RunCompleted.json";
    const event = readJson<Record<string, any>>(join(azureFixtures, file));
    if (envelope === "eventgrid") event.topic = WORKSPACE_TOPIC;
    else event.source = WORKSPACE_TOPIC;
    event.data.runTags = tags;
    return event;
  };
  const { workspace: _w, ...targetWithoutWorkspace } = sampleTarget();

  it.each(["eventgrid", "cloudevents"] as const)("maps a run tagged for deployment (%s) and takes the workspace from the event source", (envelope) => {
    const result = classifyEvent(runCompleted({ [TAG_PASSED]: "true", [TAG_REQUEST]: JSON.stringify(targetWithoutWorkspace) }, envelope));
    expect(result.outcome).toBe("accepted");
    if (result.outcome !== "accepted") return;
    expect(result.request.requestId).toBe(`amlrun-${sourceKey(WORKSPACE_TOPIC)}-AutoML_ad912b2d-6467-4f32-a616-dbe4af6dd8fc_5`);
    expect(result.request.workspace).toEqual({ subscriptionId: "00000000-1111-2222-3333-444444444444", resourceGroup: "rg-promptflow", name: "ws-promptflow" });
  });

  it("reads data and tag keys case-insensitively (RunTags, RunId)", () => {
    const event = runCompleted({});
    const { runTags: _t, runId, ...data } = event.data;
    event.data = { ...data, RunId: runId, RunTags: { "FlowDeploy.Passed": "True", "flowdeploy.request": JSON.stringify(targetWithoutWorkspace) } };
    expect(classifyEvent(event).outcome).toBe("accepted");
  });

  it("ignores runs without the passed tag, or with it set to anything but true", () => {
    expect(classifyEvent(runCompleted({})).outcome).toBe("ignored");
    expect(classifyEvent(runCompleted({ [TAG_PASSED]: "false", [TAG_REQUEST]: "{}" })).outcome).toBe("ignored");
  });

  it("rejects a tagged run whose request tag is missing, not JSON, or invalid", () => {
    expect(issuesOf(classifyEvent(runCompleted({ [TAG_PASSED]: "true" })))).toEqual(['data.runTags["flowdeploy.request"]: required: the deploy target as JSON']);
    expect(issuesOf(classifyEvent(runCompleted({ [TAG_PASSED]: "true", [TAG_REQUEST]: "{not json" })))).toEqual(['data.runTags["flowdeploy.request"]: is not valid JSON']);
    const bad = { ...targetWithoutWorkspace, deployment: { ...targetWithoutWorkspace.deployment, instanceCount: 0 } };
    expect(issuesOf(classifyEvent(runCompleted({ [TAG_PASSED]: "true", [TAG_REQUEST]: JSON.stringify(bad) })))).toEqual([
      'data.runTags["flowdeploy.request"].deployment.instanceCount: expected a positive integer',
    ]);
  });

  it("rejects a request tag that targets another workspace than the one that published the event", () => {
    const other = { ...targetWithoutWorkspace, workspace: { subscriptionId: "00000000-1111-2222-3333-444444444444", resourceGroup: "rg-other", name: "ws-other" } };
    expect(issuesOf(classifyEvent(runCompleted({ [TAG_PASSED]: "true", [TAG_REQUEST]: JSON.stringify(other) })))).toEqual([
      'data.runTags["flowdeploy.request"].workspace: does not match the workspace that published the event',
    ]);
  });
});

describe("the shared Azure ML Event Grid fixtures", () => {
  const files = readdirSync(azureFixtures).filter((f) => f.startsWith("eventgrid."));

  it("exist in both envelopes", () => {
    expect(files.length).toBeGreaterThanOrEqual(8);
  });

  it.each(files)("%s is ignored, not rejected (no flowdeploy tags; not a run we deploy)", (file) => {
    const result = classifyEvent(readJson(join(azureFixtures, file)));
    expect(result.outcome, JSON.stringify(result)).toBe("ignored");
  });
});
