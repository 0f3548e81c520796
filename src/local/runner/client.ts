import { HttpResponse, type HttpRequest } from "@azure/functions";
import * as df from "durable-functions";
import type { InstanceRecord, RuntimeStatus } from "./instanceStore";
import type { DurableRuntime } from "./runtime";
import { isTerminalStatus } from "./runtimeState";
import { entitySchedulerId, eventTypeName, type HistoryEvent } from "./wire";

export interface LocalDurableClientOptions {
  /** Base of the management URLs, like the host's `/runtime/webhooks/durabletask`. */
  baseUrl?: string;
  taskHubName?: string;
  connectionName?: string;
}

export interface HttpManagementUrls {
  id: string;
  statusQueryGetUri: string;
  sendEventPostUri: string;
  terminatePostUri: string;
  rewindPostUri: string;
  purgeHistoryDeleteUri: string;
  suspendPostUri: string;
  resumePostUri: string;
}

/**
 * The Durable client for the local runner, implementing durable-functions' `DurableClient` so trigger
 * handlers written for the real host (`(trigger, client: df.DurableClient, context)`) run unchanged.
 *
 * Same semantics as the real client where it matters:
 * - `startNew` over a Pending or Running instance is refused with the error durable-functions' client
 *   throws for the host's 500 ("An Orchestration instance with the status Running already exists.");
 *   a finished instance is replaced. Check `getStatus` first for once-per-id starts.
 * - An unknown id, as durable-functions 3.5.0 answers it (lib/src/durableClient/DurableClient.js) to
 *   the extension's empty 404 (HttpApiHandler.HandleGetStatusRequestAsync): `getStatus` rejects with a
 *   plain Error, nothing on it but the message ("DurableClient error: Durable Functions extension
 *   replied with HTTP 404 response. ..."), and so does `waitForCompletionOrCreateCheckStatusResponse`
 *   (its first poll is `getStatus`); the status query behind `getStatus` (`getStatusInternal`)
 *   answers `{ status: 404, data: "" }`. Product code tells "none" by that status
 *   (src/intake/instanceStatus.ts), so the query is offered here too, never a friendlier error.
 * - `raiseEvent`/`terminate` on an unknown id throw "No instance with ID '…' found."; on a finished
 *   instance they do nothing (the host answers 410 Gone, which the client treats as success).
 * - `getStatusBy`/`getStatusAll` resolve with every page at once, as the host's parsed JSON (times are
 *   whole-second strings, not Dates) and in no promised order: see `getStatusBy`.
 *
 * Not supported (they throw): `rewind`, `suspend`, `resume`. The management URLs are produced but not
 * served: nothing listens on `baseUrl` unless the caller serves it.
 */
export class LocalDurableClient implements df.DurableClient {
  readonly taskHubName: string;
  readonly uniqueWebhookOrigins: string[];
  private readonly baseUrl: string;
  private readonly connectionName: string;

  constructor(
    private readonly runtime: DurableRuntime,
    options: LocalDurableClientOptions = {},
  ) {
    this.taskHubName = options.taskHubName ?? "LocalTaskHub";
    this.connectionName = options.connectionName ?? "Storage";
    this.baseUrl = (options.baseUrl ?? "http://localhost:7071/runtime/webhooks/durabletask").replace(/\/+$/, "");
    this.uniqueWebhookOrigins = [new URL(this.baseUrl).origin];
  }

  async startNew(orchestratorFunctionName: string, options: df.StartNewOptions = {}): Promise<string> {
    return this.runtime.startInstance(orchestratorFunctionName, { instanceId: options.instanceId, input: options.input });
  }

  async getStatus(instanceId: string, options: df.GetStatusOptions = {}): Promise<df.DurableOrchestrationStatus> {
    const rec = this.runtime.getInstance(instanceId);
    if (!rec) throw statusNotFound(instanceId);
    return toStatus(rec, options);
  }

  /**
   * The status query durable-functions' client sends for `getStatus` (3.5.0,
   * lib/src/durableClient/DurableClient.js `getStatusInternal`, absent from its .d.ts), answered the
   * way the extension answers it (HttpApiHandler.HandleGetStatusRequestAsync): an unknown id is an
   * empty 404; Pending, Running and ContinuedAsNew are 202, every other status 200 (Failed too: the
   * client never asks for `returnInternalServerErrorOnFailure`), with the host's status JSON as the
   * body (history is not produced: nothing here asks for it). Without an instance id it is the list
   * query `getStatusBy` answers.
   */
  async getStatusInternal(options: { instanceId?: string } & df.GetStatusOptions & df.OrchestrationFilter): Promise<{ status: number; data: unknown; headers: Record<string, string> }> {
    if (typeof options.instanceId !== "string" || options.instanceId === "") return { status: 200, data: await this.getStatusBy(options), headers: {} };
    const rec = this.runtime.getInstance(options.instanceId);
    if (!rec) return { status: 404, data: "", headers: {} };
    const running = rec.runtimeStatus === "Pending" || rec.runtimeStatus === "Running" || rec.runtimeStatus === "ContinuedAsNew";
    const data = listedStatus(rec);
    return { status: running ? 202 : 200, data: options.showInput === false ? { ...data, input: null } : data, headers: {} };
  }

  /** Every instance, as the real `getStatusAll()` answers: the same query as `getStatusBy({})`, see there. */
  async getStatusAll(): Promise<df.DurableOrchestrationStatus[]> {
    return this.getStatusBy({});
  }

  /**
   * The instances that match `filter`, with the real client's semantics (durable-functions 3.5.0,
   * lib/src/durableClient/DurableClient.js `getStatusBy` → `getStatusInternal`, and the extension's
   * list query, HttpApiHandler.HandleGetStatusRequestAsync):
   * - `createdTimeFrom`/`createdTimeTo` bound the creation time inclusively (DurableTask.AzureStorage
   *   OrchestrationInstanceStatusQueryCondition: GreaterThanOrEqual / LessThanOrEqual); `runtimeStatus`
   *   matches any of its values, an empty list does not filter. The client sends the bounds with
   *   `toISOString()`, so anything but a Date throws a TypeError.
   * - No paging reaches the caller: the host answers 100 instances a page (its default `top`) with an
   *   `x-ms-continuation-token` header, and the client follows the tokens and resolves with every page
   *   concatenated. JavaScript has no page-level list API; a caller that pages must page itself.
   * - It resolves with the host's JSON as parsed, not wrapped in DurableOrchestrationStatus as
   *   `getStatus` is: `createdTime` and `lastUpdatedTime` are strings (although typed Date) in the
   *   host's format, whole seconds (HttpApiHandler.ConvertFrom: `ToString("s") + "Z"`).
   * - `input` is included (the client never sends `showInput`; the extension's
   *   OrchestrationStatusQueryCondition.ShowInput defaults to true), history never.
   * - In no promised order. The Azure Storage provider lists its Instances table in partition key
   *   (instance id) order, and so does this, so no caller comes to rely on creation order.
   */
  async getStatusBy(filter: df.OrchestrationFilter): Promise<df.DurableOrchestrationStatus[]> {
    const from = filter.createdTimeFrom ? Date.parse(filter.createdTimeFrom.toISOString()) : undefined;
    const to = filter.createdTimeTo ? Date.parse(filter.createdTimeTo.toISOString()) : undefined;
    return this.runtime
      .listInstances()
      .filter((r) => matches(r, { from, to, runtimeStatus: filter.runtimeStatus }))
      .sort((a, b) => (a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0))
      .map((r) => listedStatus(r));
  }

  async raiseEvent(instanceId: string, eventName: string, eventData: unknown): Promise<void> {
    this.runtime.raiseEvent(instanceId, eventName, eventData);
  }

  async terminate(instanceId: string, reason: string): Promise<void> {
    this.runtime.terminate(instanceId, reason);
  }

  async purgeInstanceHistory(instanceId: string): Promise<df.PurgeHistoryResult> {
    return { instancesDeleted: this.runtime.purge(instanceId) ? 1 : 0 };
  }

  async purgeInstanceHistoryBy(filter: df.OrchestrationFilter): Promise<df.PurgeHistoryResult> {
    let deleted = 0;
    const bounds = { from: filter.createdTimeFrom?.getTime(), to: filter.createdTimeTo?.getTime(), runtimeStatus: filter.runtimeStatus };
    for (const r of this.runtime.listInstances().filter((i) => matches(i, bounds))) if (this.runtime.purge(r.instanceId)) deleted++;
    return { instancesDeleted: deleted };
  }

  async signalEntity(entityId: df.EntityId, operationName?: string, operationContent?: unknown): Promise<void> {
    this.runtime.signalEntity(entitySchedulerId(entityId.name, entityId.key), operationName ?? "", operationContent);
  }

  async readEntityState<T>(entityId: df.EntityId): Promise<df.EntityStateResponse<T>> {
    const { exists, stateJson } = this.runtime.readEntity(entitySchedulerId(entityId.name, entityId.key));
    return new df.EntityStateResponse<T>(exists, stateJson === undefined ? (undefined as T) : (JSON.parse(stateJson) as T));
  }

  async rewind(): Promise<void> {
    throw new Error("rewind is not supported by the local durable runner");
  }

  async suspend(): Promise<void> {
    throw new Error("suspend is not supported by the local durable runner");
  }

  async resume(): Promise<void> {
    throw new Error("resume is not supported by the local durable runner");
  }

  /** 202 Accepted with the management URLs and `Location: statusQueryGetUri`, as the real client returns. */
  createCheckStatusResponse(request: HttpRequest | undefined, instanceId: string): HttpResponse {
    const payload = this.managementUrls(instanceId, request);
    return new HttpResponse({
      status: 202,
      jsonBody: payload,
      headers: { "Content-Type": "application/json", Location: payload.statusQueryGetUri, "Retry-After": "10" },
    });
  }

  createHttpManagementPayload(instanceId: string): df.HttpManagementPayload {
    return this.managementUrls(instanceId, undefined);
  }

  /**
   * Waits up to `timeoutInMilliseconds` (default 10 s of wall time) for the instance to finish:
   * 200 + output (Completed), 200 + status (Terminated), 500 + status (Failed), else the 202 check-status response.
   */
  async waitForCompletionOrCreateCheckStatusResponse(request: HttpRequest, instanceId: string, waitOptions: df.WaitForCompletionOptions = {}): Promise<HttpResponse> {
    // The real client's first poll is getStatus: an unknown id rejects with its 404 error, never a 202.
    await this.getStatus(instanceId);
    try {
      await this.runtime.waitForCompletion(instanceId, { timeoutMs: waitOptions.timeoutInMilliseconds ?? 10_000 });
    } catch {
      return this.createCheckStatusResponse(request, instanceId);
    }
    const status = await this.getStatus(instanceId);
    const json = (statusCode: number, body: unknown): HttpResponse => new HttpResponse({ status: statusCode, jsonBody: body, headers: { "Content-Type": "application/json" } });
    if (status.runtimeStatus === df.OrchestrationRuntimeStatus.Completed) return json(200, status.output);
    if (status.runtimeStatus === df.OrchestrationRuntimeStatus.Failed) return json(500, status);
    return json(200, status);
  }

  /** Local extension: resolves with the final status once the instance is Completed, Failed or Terminated. */
  async waitForCompletion(instanceId: string, options: { timeoutMs?: number } = {}): Promise<df.DurableOrchestrationStatus> {
    const rec = await this.runtime.waitForCompletion(instanceId, options);
    return toStatus(rec, {});
  }

  private managementUrls(instanceId: string, request: HttpRequest | undefined): HttpManagementUrls {
    let base = this.baseUrl;
    // The real client swaps the host's origin for the origin of the incoming request.
    if (request?.url) {
      try {
        base = base.replace(new URL(base).origin, new URL(request.url).origin);
      } catch {
        // not a URL: keep the configured base
      }
    }
    const id = encodeURIComponent(instanceId);
    const query = `taskHub=${encodeURIComponent(this.taskHubName)}&connection=${encodeURIComponent(this.connectionName)}`;
    const instance = `${base}/instances/${id}`;
    return {
      id: instanceId,
      statusQueryGetUri: `${instance}?${query}`,
      sendEventPostUri: `${instance}/raiseEvent/{eventName}?${query}`,
      terminatePostUri: `${instance}/terminate?reason={text}&${query}`,
      rewindPostUri: `${instance}/rewind?reason={text}&${query}`,
      purgeHistoryDeleteUri: `${instance}?${query}`,
      suspendPostUri: `${instance}/suspend?reason={text}&${query}`,
      resumePostUri: `${instance}/resume?reason={text}&${query}`,
    };
  }
}

/** What durable-functions 3.5.0's `getStatus` throws for the extension's empty 404 (lib/src/durableClient/DurableClient.js): a plain Error, word for word. */
function statusNotFound(instanceId: string): Error {
  return new Error(`DurableClient error: Durable Functions extension replied with HTTP 404 response. This usually means we could not find any data associated with the instanceId provided: ${instanceId}.`);
}

export function isFinished(status: df.DurableOrchestrationStatus): boolean {
  return isTerminalStatus(status.runtimeStatus as RuntimeStatus);
}

function matches(r: InstanceRecord, filter: { from: number | undefined; to: number | undefined; runtimeStatus: df.OrchestrationRuntimeStatus[] | undefined }): boolean {
  const created = new Date(r.createdTime).getTime();
  if (filter.from !== undefined && created < filter.from) return false;
  if (filter.to !== undefined && created > filter.to) return false;
  if (filter.runtimeStatus && filter.runtimeStatus.length > 0 && !filter.runtimeStatus.includes(r.runtimeStatus as df.OrchestrationRuntimeStatus)) return false;
  return true;
}

/** A time as the host's HTTP API writes it: `DateTime.ToString("s") + "Z"`, whole seconds (truncated). */
function hostTime(iso: string): string {
  return `${new Date(iso).toISOString().slice(0, 19)}Z`;
}

/** One element of the host's list answer (StatusResponsePayload), as getStatusBy resolves with it. */
function listedStatus(rec: InstanceRecord): df.DurableOrchestrationStatus {
  const payload = {
    name: rec.name,
    instanceId: rec.instanceId,
    runtimeStatus: rec.runtimeStatus,
    input: parse(rec.exec.inputJson),
    customStatus: parse(rec.exec.customStatusJson),
    output: parse(rec.outputJson),
    createdTime: hostTime(rec.createdTime),
    lastUpdatedTime: hostTime(rec.lastUpdatedTime),
  };
  // The real client returns the parsed JSON under the DurableOrchestrationStatus type (dates as strings).
  return payload as unknown as df.DurableOrchestrationStatus;
}

const parse = (json: string | undefined): unknown => (json === undefined ? null : JSON.parse(json));

/** The DurableOrchestrationStatus shape the host's status API returns (history events with type names). */
function toStatus(rec: InstanceRecord, options: df.GetStatusOptions): df.DurableOrchestrationStatus {
  const status = {
    name: rec.name,
    instanceId: rec.instanceId,
    createdTime: new Date(rec.createdTime),
    lastUpdatedTime: new Date(rec.lastUpdatedTime),
    input: options.showInput === false ? null : parse(rec.exec.inputJson),
    output: parse(rec.outputJson),
    runtimeStatus: rec.runtimeStatus as df.OrchestrationRuntimeStatus,
    customStatus: parse(rec.exec.customStatusJson),
    ...(options.showHistory ? { history: rec.exec.history.map((e) => historyView(e, options.showHistoryOutput === true)) } : {}),
  };
  return status as df.DurableOrchestrationStatus;
}

function historyView(e: HistoryEvent, withOutput: boolean): Record<string, unknown> {
  const { EventType: type, Result, Input, ...rest } = e;
  return { EventType: eventTypeName(type), ...rest, ...(withOutput ? { Result, Input } : {}) };
}
