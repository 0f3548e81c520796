import { InvocationContext } from "@azure/functions";
import { afterEach, describe, expect, it } from "vitest";
import { type DeploymentNotification } from "../../src/contracts";
import { parseConfig } from "../../src/config";
import { intakePolicyFrom, type IntakePolicy } from "../../src/intake/policy";
import { startLocalStack, type LocalStack } from "../../src/local/localStack";
import { drainNotifications } from "../reliability/support/deploy";
import { sampleEvent } from "../support/samples";

/**
 * Events as producers really send them, through the registered Event Grid handler: CloudEvents
 * whose data is base64-encoded (`data_base64`, CloudEvents JSON format §3.1) deploy like those with
 * `data`; an Azure ML run that did not complete successfully never deploys, even tagged "passed".
 */
const NOW = new Date("2026-11-23T10:05:00.000Z");
const TOPIC = "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-promptflow/providers/Microsoft.EventGrid/topics/bulk-tests";
const WORKSPACE = "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-promptflow/providers/Microsoft.MachineLearningServices/workspaces/ws-promptflow";
const POLICY: IntakePolicy = intakePolicyFrom(parseConfig({ FLOWDEPLOY_ALLOWED_WORKSPACES: WORKSPACE, FLOWDEPLOY_ALLOWED_EVENT_SOURCES: TOPIC, FLOWDEPLOY_GATES: '{"accuracy": 0.85}' }));

let stack: LocalStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

async function deliver(...events: unknown[]): Promise<{ notifications: DeploymentNotification[]; instances: string[]; logs: string[] }> {
  const s = (stack = await startLocalStack({ startAt: NOW, policy: POLICY }));
  await s.runtime.stop();
  const logs: string[] = [];
  const context = new InvocationContext({ functionName: "bulkTestEvents", logHandler: (_level, ...args) => logs.push(args.map(String).join(" ")) });
  for (const event of events) await s.app.handlers.bulkTestEvents(event, s.client, context);
  // The handler returned after its sends settled: whatever it published is on the topic already.
  return { notifications: await drainNotifications(s, { until: () => true, quietMs: 500 }), instances: s.runtime.listInstances().map((r) => r.instanceId), logs };
}

/** The sample BulkTestPassed CloudEvent from TOPIC, its data as `data` or as base64 in `data_base64`. */
function bulkTestEvent(encoding: "data" | "data_base64", extra: Record<string, unknown> = {}): Record<string, unknown> {
  const { data, ...event } = sampleEvent();
  const passing = { ...data, metrics: { accuracy: 0.9 }, thresholds: {} };
  const body = encoding === "data" ? { data: passing } : { data_base64: Buffer.from(JSON.stringify(passing), "utf8").toString("base64") };
  return { ...event, source: TOPIC, time: "2026-11-23T10:00:00.000Z", datacontenttype: "application/json", ...body, ...extra };
}

describe("CloudEvents with data_base64", () => {
  it("decodes the data and deploys it, as the same request the plain event would be", async () => {
    const plain = await deliver(bulkTestEvent("data"));
    await stack?.close();
    const encoded = await deliver(bulkTestEvent("data_base64"));
    expect(encoded.notifications).toEqual([]);
    expect(encoded.instances).toHaveLength(1);
    expect(encoded.instances).toEqual(plain.instances);
  });

  it.each([
    ["data_base64 that is not base64", { data_base64: "eyJzY2hlbWFWZXJzaW9uIjoiMSJ9!" }, "data_base64: is not base64"],
    ["data_base64 that is not JSON once decoded", { data_base64: Buffer.from("schemaVersion=1").toString("base64") }, "data_base64: does not decode to JSON"],
    ["an event with both data and data_base64", { data: { schemaVersion: "1" } }, "data_base64: give data or data_base64, not both"],
    ["data_base64 declared as binary content", { datacontenttype: "application/octet-stream" }, "datacontenttype: data_base64 is read as JSON here"],
  ])("rejects %s, naming the field", async (_label, extra, says) => {
    const { notifications, instances } = await deliver(bulkTestEvent("data_base64", extra));
    expect(instances).toEqual([]);
    expect(notifications).toEqual([expect.objectContaining({ outcome: "Rejected", error: expect.objectContaining({ message: expect.stringContaining(says) }) })]);
  });
});

describe("Azure ML RunCompleted", () => {
  const { workspace: _w, ...target } = sampleEvent()["data"].deploy as Record<string, unknown>;
  const run = (id: string, status?: string) => ({
    specversion: "1.0",
    id,
    source: WORKSPACE,
    type: "Microsoft.MachineLearningServices.RunCompleted",
    time: "2026-11-23T10:00:00.000Z",
    data: { runId: id, ...(status === undefined ? {} : { runStatus: status }), runTags: { "flowdeploy.passed": "true", "flowdeploy.request": JSON.stringify(target) } },
  });

  it("a tagged run whose status is not Completed is ignored with a reason: no deployment, no rejection", async () => {
    const { notifications, instances, logs } = await deliver(run("run-failed", "Failed"), run("run-canceled", "Canceled"));
    expect(instances).toEqual([]);
    expect(notifications).toEqual([]);
    expect(logs.join("\n")).toMatch(/ignored event .*run run-failed has status "Failed", not Completed/);
    expect(logs.join("\n")).toMatch(/run run-canceled has status "Canceled", not Completed/);
  });

  it("a tagged run that completed deploys", async () => {
    const { notifications, instances } = await deliver(run("run-ok", "Completed"));
    expect(notifications).toEqual([]);
    expect(instances).toHaveLength(1);
  });
});
