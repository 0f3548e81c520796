import { describe, expect, it } from "vitest";
import { DeployRequest } from "../../src/contracts/deployRequest";
import { requestSettingsFor, smokeTestTimeoutSeconds, vcpusOf } from "../../src/domain/requestSettings";
import { isoDurationSeconds } from "../../src/local/simulator/requestSettings";
import { deploy } from "../support/localRun";
import { sampleRequest } from "../support/samples";

/**
 * Issue 13 item 8: concurrency by the prompt flow how-to's rule (workers × threads, workers = the
 * instance's vCPUs by default), a request timeout up to the 300 s prompt flow deployments allow, and a
 * smoke test that never gives up before the deployment would.
 */
describe("request settings", () => {
  it.each([
    ["Standard_DS1_v2", 1],
    ["Standard_DS3_v2", 4],
    ["Standard_D13_v2", 8],
    ["Standard_F4s_v2", 4],
    ["Standard_E16s_v3", 16],
    ["Standard_NC6s_v3", 6],
    ["Standard_NC4as_T4_v3", 4],
    ["Standard_D32a_v4", 32],
  ])("%s has %i vCPUs", (size, vcpus) => {
    expect(vcpusOf(size)).toBe(vcpus);
  });

  it("derives concurrency from workers × threads, the request's value winning", () => {
    expect(requestSettingsFor({ instanceType: "Standard_DS3_v2" })).toEqual({ requestTimeoutSeconds: 90, maxConcurrentRequestsPerInstance: 4 });
    expect(requestSettingsFor({ instanceType: "Standard_DS3_v2", environmentVariables: { PROMPTFLOW_WORKER_NUM: "8", PROMPTFLOW_WORKER_THREADS: "2" } }).maxConcurrentRequestsPerInstance).toBe(16);
    expect(requestSettingsFor({ instanceType: "Standard_DS3_v2", environmentVariables: { PROMPTFLOW_WORKER_NUM: "lots" } }).maxConcurrentRequestsPerInstance).toBe(4);
    expect(requestSettingsFor({ instanceType: "Custom_size", requestSettings: { maxConcurrentRequestsPerInstance: 3, requestTimeoutSeconds: 200 } })).toEqual({ requestTimeoutSeconds: 200, maxConcurrentRequestsPerInstance: 3 });
    expect(requestSettingsFor({ instanceType: "Custom_size" }).maxConcurrentRequestsPerInstance).toBe(1);
  });

  it("the smoke test's timeout is never shorter than the deployment's request timeout", () => {
    expect(smokeTestTimeoutSeconds(30, { instanceType: "Standard_DS3_v2" })).toBe(95);
    expect(smokeTestTimeoutSeconds(30, { instanceType: "Standard_DS3_v2", requestSettings: { requestTimeoutSeconds: 300 } })).toBe(305);
    expect(smokeTestTimeoutSeconds(400, { instanceType: "Standard_DS3_v2" })).toBe(400);
  });

  it("the deployment PUT carries them as ISO durations", async () => {
    const request = sampleRequest();
    request.deployment.requestSettings = { requestTimeoutSeconds: 300 };
    const run = await deploy({ request });
    expect(run.notification.outcome).toBe("Succeeded");
    expect(run.state.endpoints[0]!.deployments[0]!.requestSettings).toMatchObject({ requestTimeout: "PT300S", maxConcurrentRequestsPerInstance: 4 });
  });

  it("the simulator refuses more than 180 s for a model that is not a prompt flow, as the service does", async () => {
    const request = sampleRequest();
    delete request.flow;
    request.model = { name: "plain-model", version: "1" };
    request.deployment.requestSettings = { requestTimeoutSeconds: 200 };
    const run = await deploy({ request, scenario: { models: [{ name: "plain-model", version: "1" }] } });
    expect(run.notification.error).toMatchObject({ stage: "deployment", code: "BadArgument" });
    expect(run.notification.error!.message).toContain("maximum is 180000 ms");
  });

  it("the contract refuses more than 300 s, naming the field", () => {
    const r = DeployRequest.safeParse({ ...sampleRequest(), deployment: { ...sampleRequest().deployment, requestSettings: { requestTimeoutSeconds: 301 } } });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]).toMatchObject({ path: ["deployment", "requestSettings", "requestTimeoutSeconds"] });
  });

  it("reads ISO 8601 durations", () => {
    expect([isoDurationSeconds("PT1M30S"), isoDurationSeconds("PT5M"), isoDurationSeconds("PT0.5S"), isoDurationSeconds("90"), isoDurationSeconds("PT")]).toEqual([90, 300, 0.5, undefined, undefined]);
  });
});
