import { isResourceAllowed } from "../intake/allowlist";
import { parseWorkspaceId, type WorkspaceTarget } from "./model";

/**
 * The query string of GET /api/inventory: `workspace=<ARM id>` any number of times (at most
 * MAX_WORKSPACES), narrowing the app's allow-list (FLOWDEPLOY_ALLOWED_WORKSPACES). Every workspace
 * named must be in that list: 403 naming the parameter otherwise, 400 for an id that is not a
 * workspace's. Without one: every workspace of the list; locally, where the list is `*`, the
 * workspaces `flowdeploy serve` knows (its simulator scenario's).
 */
export const MAX_WORKSPACES = 50;

const PARAMETERS = new Set(["workspace"]);
/** `code` carries the function key when a caller puts it in the URL: accepted, never echoed. */
const HOST_PARAMETERS = new Set(["code"]);

export type WorkspaceSelection = { ok: true; workspaces: WorkspaceTarget[] } | { ok: false; status: 400 | 403; errors: string[] };

export function selectWorkspaces(params: URLSearchParams, allowed: readonly string[], known: readonly WorkspaceTarget[]): WorkspaceSelection {
  const errors: string[] = [];
  for (const name of new Set(params.keys())) {
    if (!PARAMETERS.has(name) && !HOST_PARAMETERS.has(name)) errors.push(`${name.slice(0, 40)}: unknown parameter (expected workspace)`);
  }
  const named = params.getAll("workspace");
  if (named.length > MAX_WORKSPACES) errors.push(`workspace: at most ${MAX_WORKSPACES} workspaces at once, got ${named.length}`);
  const parsed: WorkspaceTarget[] = [];
  for (const value of named) {
    const ws = parseWorkspaceId(value);
    if (ws) parsed.push(ws);
    else errors.push(`workspace: expected an Azure ML workspace resource id (/subscriptions/<subscription id>/resourceGroups/<group>/providers/Microsoft.MachineLearningServices/workspaces/<name>), got '${value.slice(0, 200)}'`);
  }
  if (errors.length > 0) return { ok: false, status: 400, errors };
  if (parsed.length > 0) {
    const refused = parsed.filter((ws) => !isResourceAllowed(allowed, ws.id));
    if (refused.length > 0) return { ok: false, status: 403, errors: refused.map((ws) => `workspace: ${ws.id} is not in the app's FLOWDEPLOY_ALLOWED_WORKSPACES`) };
    return { ok: true, workspaces: parsed };
  }
  if (allowed.includes("*")) {
    if (known.length === 0) return { ok: false, status: 400, errors: ["workspace: name a workspace (the allow-list is '*', so there is no list to read)"] };
    return { ok: true, workspaces: [...known] };
  }
  // Ids of the setting that are not workspace ids match nothing (the app warns about them at start).
  const listed = allowed.map(parseWorkspaceId).filter((ws): ws is WorkspaceTarget => ws !== undefined);
  if (listed.length === 0) return { ok: false, status: 403, errors: ["FLOWDEPLOY_ALLOWED_WORKSPACES lists no workspace: the app may read none"] };
  return { ok: true, workspaces: listed };
}
