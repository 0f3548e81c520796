/**
 * One orchestration instance's status through the Durable client, with "there is no such instance"
 * told apart from a failure by the HTTP status the extension answered, never by an error's text.
 *
 * What durable-functions 3.5.0 offers (lib/src/durableClient/DurableClient.js):
 * - `getStatus(instanceId, options)` sends the status query through the class's own
 *   `getStatusInternal({ instanceId, ...options })`, an axios GET whose `validateStatus` accepts every
 *   status below 600, so the answer always comes back, and then switches on `response.status`:
 *   200, 202 and 400 build a DurableOrchestrationStatus; 404 throws `new Error("DurableClient error:
 *   Durable Functions extension replied with HTTP 404 response. This usually means we could not find
 *   any data associated with the instanceId provided: <id>.")`; anything else throws
 *   `createGenericError` ("The operation failed with an unexpected status code: <n>. Details: …").
 *   Each is a plain Error: no status, no code, no response. The status lives on only in the message.
 * - No public method answers "none" for an unknown id: `getStatusBy`/`getStatusAll` list without an
 *   instance filter, and `purgeInstanceHistory` (0 for a 404) deletes what it finds.
 * - The extension answers an unknown id with an empty 404 (azure-functions-durable-extension
 *   src/WebJobs.Extensions.DurableTask/HttpApiHandler.cs, HandleGetStatusRequestAsync:
 *   `if (status == null) return request.CreateResponse(HttpStatusCode.NotFound)`).
 *
 * So the status is read where the client has it. When `getStatus` fails, the same query goes out once
 * more through `getStatusInternal`, and only its 404 means "none". That method is not in the
 * package's type declarations: it is named here and nowhere else in the product (the local runner's
 * client offers the same query), and test/intake/instanceStatus.test.ts drives the real client
 * against a stand-in host, so an upgrade that renames it fails there. A client without it (a test
 * double) gets no not-found detection: its errors propagate as they are.
 */
import type * as df from "durable-functions";

export type StatusClient = Pick<df.DurableClient, "getStatus">;

/** The instance's status, or undefined when the Durable extension knows no instance with this id (HTTP 404). */
export async function getStatusOrUndefined(client: StatusClient, instanceId: string, options?: df.GetStatusOptions): Promise<df.DurableOrchestrationStatus | undefined> {
  let status: df.DurableOrchestrationStatus | undefined;
  try {
    status = await client.getStatus(instanceId, options);
  } catch (err) {
    if (await answersNotFound(client, instanceId)) return undefined;
    throw err;
  }
  // durable-functions 1.x resolved a 404 with the (empty) body instead of throwing.
  return status?.instanceId ? status : undefined;
}

/** The HTTP answer to a status query, as durable-functions' `getStatusInternal` resolves with it (an axios response). */
export interface StatusQueryResponse {
  status: number;
  data: unknown;
}

/** The status query of durable-functions' DurableClient (3.5.0, lib/src/durableClient/DurableClient.js), not in its .d.ts. */
export interface StatusQueryClient {
  getStatusInternal(options: { instanceId: string } & df.GetStatusOptions): Promise<StatusQueryResponse>;
}

function hasStatusQuery(client: object): client is StatusQueryClient {
  return typeof (client as Partial<StatusQueryClient>).getStatusInternal === "function";
}

/** Whether the extension answers the status query for `instanceId` with 404. False when that cannot be asked or the query itself fails. */
export async function answersNotFound(client: object, instanceId: string): Promise<boolean> {
  if (!hasStatusQuery(client)) return false;
  try {
    return (await client.getStatusInternal({ instanceId })).status === 404;
  } catch {
    return false; // no answer at all (network): the caller's own error stands
  }
}
