import { type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { MAX_MESSAGE_BYTES } from "../contracts/parse";
import { admitRequest } from "../intake/intake";
import { intakeDeps } from "./appServices";

/**
 * POST /api/deployments: a DeployRequest body → 202 with the check-status response; an invalid body
 * → 400 naming every bad field (no notification: the caller is right there). A repeated request id
 * answers 202 for the instance it already started.
 */
export async function startDeploymentHttp(request: HttpRequest, client: df.DurableClient, context: InvocationContext): Promise<HttpResponseInit> {
  const text = await request.text();
  if (Buffer.byteLength(text) > MAX_MESSAGE_BYTES) return problem(413, [`(root): body is larger than ${MAX_MESSAGE_BYTES} bytes`]);
  const result = await admitRequest(text, `http:${context.invocationId}`, "http", intakeDeps(client, context), { publishRejection: false });
  if (result.outcome === "rejected") return problem(result.code === "WorkspaceNotAllowed" ? 403 : 400, result.lines);
  if (result.outcome === "ignored") return problem(400, [result.reason]);
  return client.createCheckStatusResponse(request, result.instanceId);
}

/** GET /api/deployments/{instanceId}: runtime status and custom status (stages, timings; never a key). */
export async function getDeploymentHttp(request: HttpRequest, client: df.DurableClient): Promise<HttpResponseInit> {
  const instanceId = request.params["instanceId"] ?? "";
  if (!/^[A-Za-z0-9-]{1,100}$/.test(instanceId)) return problem(400, ["instanceId: expected an instance id such as deploy-0123abcd..."]);
  let status: df.DurableOrchestrationStatus;
  try {
    status = await client.getStatus(instanceId);
  } catch (err) {
    if (err instanceof Error && /\b404\b/.test(err.message)) return problem(404, [`no deployment ${instanceId}`]);
    throw err;
  }
  if (!status?.instanceId) return problem(404, [`no deployment ${instanceId}`]);
  return {
    status: 200,
    jsonBody: {
      instanceId: status.instanceId,
      runtimeStatus: status.runtimeStatus,
      customStatus: status.customStatus ?? null,
      output: status.output ?? null,
      createdTime: status.createdTime,
      lastUpdatedTime: status.lastUpdatedTime,
    },
  };
}

function problem(status: number, errors: string[]): HttpResponseInit {
  return { status, jsonBody: { errors } };
}

df.app.client.http("startDeployment", { route: "deployments", methods: ["POST"], authLevel: "function", handler: startDeploymentHttp });
df.app.client.http("getDeployment", { route: "deployments/{instanceId}", methods: ["GET"], authLevel: "function", handler: getDeploymentHttp });
