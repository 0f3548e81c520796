import { ArmError } from "./armErrors";
import { empty, json, type SimResponse } from "./httpResponse";
import { ASYNC_OPERATION_TIMEOUT, findOperation, isOperationRunning, operationStatusBody, resultUrl } from "./lroOperations";
import { requireParam, type RequestContext } from "./requestContext";

/** The two URLs the SDK's poller reads: Azure-AsyncOperation (status) and Location (result). */

function requireOperation(ctx: RequestContext) {
  const name = requireParam(ctx, "operationName");
  const op = findOperation(ctx.state, name);
  if (!op) throw new ArmError(404, "ResourceNotFound", `The operation '${name}' was not found.`);
  return op;
}

/** Recorded: 200 with `{id, name, status, startTime, endTime, percentComplete}` while running and after. */
export function getOperationStatus(ctx: RequestContext): SimResponse {
  const op = requireOperation(ctx);
  const headers: Record<string, string> = {};
  const retry = ctx.state.polling.statusRetryAfterSeconds;
  if (retry !== null && isOperationRunning(op, ctx.now)) headers["Retry-After"] = ctx.retryAfter(retry);
  return json(200, operationStatusBody(op, ctx.now, "status"), headers);
}

/**
 * ARM async-api-reference: a Location URL answers 202 while running; recorded: 200 with the status body
 * once done. A failed operation answers 400 with its error (so the SDK's poller fails too).
 */
export function getOperationResult(ctx: RequestContext): SimResponse {
  const op = requireOperation(ctx);
  if (isOperationRunning(op, ctx.now)) {
    return empty(202, {
      Location: resultUrl(ctx.baseUrl, op),
      "Retry-After": ctx.retryAfter(ctx.state.polling.locationRetryAfterSeconds),
      "x-ms-async-operation-timeout": ASYNC_OPERATION_TIMEOUT,
    });
  }
  if (op.failure) throw new ArmError(400, op.failure.code, op.failure.message);
  return json(200, operationStatusBody(op, ctx.now, "result"));
}
