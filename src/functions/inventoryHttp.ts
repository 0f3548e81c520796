import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { logLine } from "../domain/logLine";
import { selectWorkspaces } from "../inventory/query";
import { readInventory } from "../inventory/reader";
import { inventoryServices } from "../inventory/services";

/** The route under the host's route prefix: GET /api/inventory (docs/inventory.md). */
export const INVENTORY_ROUTE = "inventory";

/**
 * GET /api/inventory[?workspace=<ARM id>&workspace=…]: the migration backlog, every online deployment
 * of the workspaces that still runs the prompt flow runtime, read from Azure now (src/inventory/).
 * 200 `{generatedAt, supportEnds, rows, summary, errors}` — a workspace that cannot be read is an entry
 * of `errors`, not a failure of the route; 400 for a parameter that is not a workspace id (or, locally
 * with the allow-list `*` and no workspace known, none named); 403 for a workspace outside
 * FLOWDEPLOY_ALLOWED_WORKSPACES. Reads only; the answer carries no key, token or environment variable value.
 */
export async function inventoryHttp(request: HttpRequest, _client: unknown, context: InvocationContext): Promise<HttpResponseInit> {
  const services = inventoryServices();
  const selection = selectWorkspaces(request.query, services.allowedWorkspaces, services.knownWorkspaces);
  if (!selection.ok) return { status: selection.status, jsonBody: { errors: selection.errors } };
  const inventory = await readInventory(services.deps, selection.workspaces);
  context.log(logLine({}, `inventory: ${inventory.summary.promptFlow} prompt flow, ${inventory.summary.agent} agent, ${inventory.summary.other} other deployments in ${inventory.summary.workspaces} workspaces; ${inventory.errors.length} errors`));
  return { status: 200, jsonBody: inventory };
}
