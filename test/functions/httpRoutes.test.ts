import { HttpRequest, InvocationContext } from "@azure/functions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { instanceIdFor } from "../../src/domain/ids";
import { startLocalStack, type LocalStack } from "../../src/local/localStack";
import { sampleRequest } from "../support/samples";

/** The HTTP starter and status route, as the host would call them, with the local runner's Durable client. */
let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack();
});
const startDeploymentHttp: LocalStack["app"]["handlers"]["startDeploymentHttp"] = (...args) => stack.app.handlers.startDeploymentHttp(...args);
const getDeploymentHttp: LocalStack["app"]["handlers"]["getDeploymentHttp"] = (...args) => stack.app.handlers.getDeploymentHttp(...args);
afterAll(async () => stack.close());

const context = () => new InvocationContext({ functionName: "startDeploymentHttp", logHandler: () => undefined });
const post = (body: string) => new HttpRequest({ url: "http://localhost:7071/api/deployments", method: "POST", body: { string: body }, headers: { "content-type": "application/json" } });
const get = (instanceId: string) => new HttpRequest({ url: `http://localhost:7071/api/deployments/${instanceId}`, method: "GET", params: { instanceId } });

describe("POST /api/deployments", () => {
  it("answers 202 with the product's status and cancel URLs (never Durable's management URLs) and starts the deployment once", async () => {
    const request = sampleRequest();
    request.requestId = "http-start-1";
    const first = await startDeploymentHttp(post(JSON.stringify(request)), stack.client, context());
    expect(first.status).toBe(202);
    const id = instanceIdFor("http-start-1");
    expect(first.jsonBody).toEqual({ id, statusQueryGetUri: `http://localhost:7071/api/deployments/${id}`, cancelPostUri: `http://localhost:7071/api/deployments/${id}/cancel` });
    expect(new Headers(first.headers as Record<string, string>).get("location")).toBe(`http://localhost:7071/api/deployments/${id}`);
    // The attack: a caller allowed to start a deployment harvesting terminate/purge/raise-event URLs and the system key.
    expect(JSON.stringify(first)).not.toMatch(/webhooks\/durabletask|terminate|purge|rewind|raiseEvent|code=/i);
    const again = await startDeploymentHttp(post(JSON.stringify(request)), stack.client, context());
    expect(again.status).toBe(202);
    expect(stack.runtime.listInstances().filter((i) => i.instanceId === id)).toHaveLength(1);
    await stack.runtime.waitForCompletion(id);

    const status = await getDeploymentHttp(get(id), stack.client);
    expect(status.status).toBe(200);
    expect(status.jsonBody).toMatchObject({ instanceId: id, runtimeStatus: "Completed", customStatus: { stage: "done", outcome: "Succeeded" }, output: { outcome: "Succeeded" } });
    const secrets = stack.sim.secrets();
    expect(secrets.length).toBeGreaterThan(0);
    for (const s of secrets) expect(JSON.stringify(status.jsonBody)).not.toContain(s);
  });

  it("answers 400 naming every bad field, and starts nothing", async () => {
    const before = stack.runtime.listInstances().length;
    const request = sampleRequest();
    request.deployment.instanceCount = -2;
    delete request.smokeTest;
    const res = await startDeploymentHttp(post(JSON.stringify(request)), stack.client, context());
    expect(res.status).toBe(400);
    expect(res.jsonBody).toEqual({ errors: ["deployment.instanceCount: expected a positive integer", "smokeTest: required"] });
    const notJson = await startDeploymentHttp(post("{"), stack.client, context());
    expect(notJson.status).toBe(400);
    expect((notJson.jsonBody as { errors: string[] }).errors[0]).toMatch(/^\(root\): not valid JSON/);
    expect(stack.runtime.listInstances()).toHaveLength(before);
  });

  it("answers 413 for an oversized body", async () => {
    const res = await startDeploymentHttp(post(`{"x":"${"a".repeat(300 * 1024)}"}`), stack.client, context());
    expect(res.status).toBe(413);
  });
});

describe("GET /api/deployments/{instanceId}", () => {
  it("answers 404 for an unknown instance and 400 for a malformed id", async () => {
    expect((await getDeploymentHttp(get("deploy-0000"), stack.client)).status).toBe(404);
    expect((await getDeploymentHttp(get("../etc/passwd"), stack.client)).status).toBe(400);
  });
});
