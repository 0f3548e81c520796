import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { classifyEvent, formatIssues, parseDeployRequest, Threshold, type EventClassification } from "../../../src/contracts";
import { parseConfig } from "../../../src/config";
import { azureFixtures, readJson, sampleEvent, sampleRequest, sampleTarget, setPath } from "../../support/samples";

/**
 * A first-day user writes messages from the docs, not from the samples: what they get wrong must be
 * answered with what to write instead, never with zod's own wording ("Invalid input: expected
 * record, received array").
 */
const requestIssues = (path: string, value: unknown) => {
  const parsed = parseDeployRequest(setPath(sampleRequest(), path, value));
  return parsed.ok ? [] : formatIssues(parsed.issues);
};
const eventIssues = (result: EventClassification) => (result.outcome === "rejected" ? formatIssues(result.issues) : []);
const bulkTestEvent = (data: Record<string, unknown>) => {
  const event = sampleEvent();
  event["data"] = { ...event["data"], ...data };
  return event;
};

describe("messages that say what to write instead", () => {
  it.each([
    ["schemaVersion", 1, 'schemaVersion: expected the string "1", not the number 1: write "schemaVersion": "1"'],
    ["schemaVersion", true, 'schemaVersion: expected the string "1", received a boolean'],
    ["schemaVersion", "2", 'schemaVersion: unsupported schema version "2"; this service reads "1"'],
    ["endpoint.authMode", "Key", `endpoint.authMode: use "key" (flowdeploy's spelling) instead of "Key"`],
    ["endpoint.authMode", "AMLToken", `endpoint.authMode: use "aml_token" (flowdeploy's spelling) instead of "AMLToken"`],
    ["endpoint.authMode", "aml-token", `endpoint.authMode: use "aml_token" (flowdeploy's spelling) instead of "aml-token"`],
    ["endpoint.authMode", "AADToken", 'endpoint.authMode: expected "key" or "aml_token", received a string'],
    ["flow.mode", "Chat", `flow.mode: use "chat" (flowdeploy's spelling) instead of "Chat"`],
    ["rollout.strategy", "BlueGreen", `rollout.strategy: use "blueGreen" (flowdeploy's spelling) instead of "BlueGreen"`],
  ])("a request with %s = %j", (path, value, line) => {
    expect(requestIssues(path, value)).toEqual([line]);
  });

  it("a bulk-test event's data with schemaVersion 1 says the same", () => {
    expect(eventIssues(classifyEvent(bulkTestEvent({ schemaVersion: 1 })))).toEqual(['data.schemaVersion: expected the string "1", not the number 1: write "schemaVersion": "1"']);
  });
});

describe("no raw zod wording reaches a user", () => {
  it.each([
    ["rollout", true, "rollout: expected an object, received a boolean"],
    ["rollout", ["blueGreen"], "rollout: expected an object, received an array"],
    ["smokeTest.expectFields", "category", "smokeTest.expectFields: expected an array, received a string"],
    ["smokeTest.expectFields", Array.from({ length: 51 }, (_, i) => `f${i}`), "smokeTest.expectFields: at most 50 items"],
    ["deployment.environmentVariables", [], "deployment.environmentVariables: expected an object, received an array"],
  ])("a request with %s = %j", (path, value, line) => {
    expect(requestIssues(path, value)).toEqual([line]);
  });

  it.each([
    [{ evaluationRunId: 7 }, "data.evaluationRunId: expected a string, received an integer"],
    [{ evaluationRunId: "r".repeat(101) }, "data.evaluationRunId: at most 100 characters"],
    [{ thresholds: { accuracy: { min: "0.8" } } }, expect.stringMatching(/^data\.thresholds\.accuracy(\.min)?: expected a number/)],
  ])("an event with data %j", (data, line) => {
    expect(eventIssues(classifyEvent(bulkTestEvent(data)))).toEqual([line]);
  });

  it("across a sweep of wrongly typed fields", () => {
    const wrong = [true, null, [], {}, "x", 1.5, -1];
    const paths = ["schemaVersion", "requestId", "workspace", "endpoint.identity", "flow", "deployment.instanceCount", "deployment.environmentVariables", "smokeTest", "smokeTest.input", "smokeTest.expectFields", "rollout", "rollout.onFailure", "propagationMinutes"];
    for (const path of paths) {
      for (const value of wrong) {
        for (const line of requestIssues(path, value)) expect(line, `${path} = ${JSON.stringify(value)}`).not.toMatch(/Invalid (input|option|string)|Too (big|small):|Unrecognized key/);
      }
    }
  });
});

describe("thresholds that no value can meet", () => {
  it("refuses {min: 0.95, max: 0.5} in an event, naming the field", () => {
    const issues = eventIssues(classifyEvent(bulkTestEvent({ metrics: { accuracy: 0.7 }, thresholds: { accuracy: { min: 0.95, max: 0.5 } } })));
    expect(issues).toContain("data.thresholds.accuracy.min: min 0.95 is above max 0.5: no value can meet both (for a lower-is-better metric give only max)");
  });

  it("refuses it in the server's FLOWDEPLOY_GATES too", () => {
    expect(() => parseConfig({ FLOWDEPLOY_GATES: '{"accuracy": {"min": 0.95, "max": 0.5}}' })).toThrow(/accuracy.*min 0\.95 is above max 0\.5/);
  });

  it("accepts min equal to max, and either bound alone", () => {
    for (const t of [{ min: 0.9, max: 0.9 }, { min: 0.9 }, { max: 0.5 }, 0.8]) expect(Threshold.safeParse(t).success, JSON.stringify(t)).toBe(true);
  });
});

describe("Azure ML RunCompleted whose run did not complete successfully", () => {
  const WORKSPACE = "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-promptflow/providers/Microsoft.MachineLearningServices/workspaces/ws-promptflow";
  const { workspace: _w, ...target } = sampleTarget();
  const run = (extra: Record<string, unknown>) => {
    const event = readJson<Record<string, any>>(join(azureFixtures, "eventgrid.RunCompleted.json"));
    event.topic = WORKSPACE;
    event.data = { ...event.data, runTags: { "flowdeploy.passed": "true", "flowdeploy.request": JSON.stringify(target) }, ...extra };
    return event;
  };

  it.each(["Failed", "failed", "Canceled", "CancelRequested", "NotResponding", "Running"])("is ignored with a reason when runStatus is %s, although it is tagged passed", (status) => {
    const result = classifyEvent(run({ runStatus: status }));
    expect(result).toMatchObject({ outcome: "ignored", reason: `run AutoML_ad912b2d-6467-4f32-a616-dbe4af6dd8fc_5 has status "${status}", not Completed: only successfully completed runs deploy` });
  });

  it("deploys when the status says Completed (any case), or when there is none (the documented RunCompleted carries none)", () => {
    expect(classifyEvent(run({ runStatus: "Completed" })).outcome).toBe("accepted");
    expect(classifyEvent(run({ RunStatus: "completed" })).outcome).toBe("accepted");
    expect(classifyEvent(run({})).outcome).toBe("accepted");
  });
});
