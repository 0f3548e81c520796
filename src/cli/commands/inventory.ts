import { PROMPT_FLOW_RETIREMENT_DATE, PROMPT_FLOW_RETIREMENT_SOURCE, PROMPT_FLOW_UPDATES_ENDED_DATE } from "../../domain/promptFlowRuntime";
import type { Inventory, InventoryRow } from "../../inventory/model";
import { parseWorkspaceId } from "../../inventory/model";
import { MAX_WORKSPACES } from "../../inventory/query";
import { ExitCode, UsageError, writeLine, type CliIO } from "../io";
import type { RegisterCommand } from "../command";
import { addAppOptions, appBaseUrl, functionKeyHeader, httpErrorDetail, parseJson, type AppOptions } from "./operate";

/**
 * `flowdeploy inventory`: the migration backlog through the app's route GET /api/inventory (the same
 * --url, --function-key / FLOWDEPLOY_FUNCTION_KEY and --json as `list`): every deployment of the
 * allowed workspaces still on the prompt flow runtime, most traffic first, and the days left until
 * prompt flow is retired. Exit codes: 0 when the app read at least one workspace (whatever it found),
 * 1 when it refuses, cannot be reached, or could read none of the workspaces; 2 for usage errors.
 */
export interface InventoryOptions extends AppOptions {
  workspace?: string[];
}

export async function runInventoryCommand(opts: InventoryOptions, io: CliIO, env: NodeJS.ProcessEnv, fetchFn: typeof fetch = fetch): Promise<number> {
  const workspaces = opts.workspace ?? [];
  if (workspaces.length > MAX_WORKSPACES) throw new UsageError(`--workspace: at most ${MAX_WORKSPACES} workspaces at once`);
  for (const id of workspaces) {
    if (!parseWorkspaceId(id)) throw new UsageError(`--workspace must be an Azure ML workspace resource id (/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.MachineLearningServices/workspaces/<name>), got '${id.slice(0, 200)}'`);
  }
  const base = appBaseUrl(opts, env);
  const headers = { accept: "application/json", ...functionKeyHeader(opts, env) };
  const params = new URLSearchParams(workspaces.map((id): [string, string] => ["workspace", id]));
  let status: number;
  let body: unknown;
  try {
    // No redirects: fetch would carry the key header to wherever a redirect points.
    const response = await fetchFn(new URL(`api/inventory${workspaces.length > 0 ? `?${params.toString()}` : ""}`, base), { method: "GET", headers, redirect: "error" });
    const text = await response.text();
    status = response.status;
    body = parseJson(text) ?? text;
  } catch (err) {
    writeLine(io.stderr, `flowdeploy inventory: cannot reach ${base.origin}: ${err instanceof Error ? err.message : String(err)}`);
    return ExitCode.failure;
  }
  if (opts.json) writeLine(io.stdout, JSON.stringify({ status, body }));
  if (status !== 200) {
    if (!opts.json) writeLine(io.stderr, `flowdeploy inventory: HTTP ${status}: ${httpErrorDetail(status, body, typeof body === "string" ? body : "")}`);
    return ExitCode.failure;
  }
  const inventory = body as Inventory;
  if (!opts.json) {
    for (const line of describeInventory(inventory)) writeLine(io.stdout, line);
    for (const e of inventory.errors) writeLine(io.stderr, `flowdeploy inventory: ${e.workspace.id}${e.endpoint ? ` endpoint ${e.endpoint}` : ""}: ${e.code}: ${e.message}`);
  }
  return inventory.summary.workspaces === 0 && inventory.errors.length > 0 ? ExitCode.failure : ExitCode.ok;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The header, the table (most traffic first, as the route sorts it) and what else was counted. */
export function describeInventory(inventory: Inventory): string[] {
  const { rows, summary } = inventory;
  const spanned = new Set(rows.map((r) => r.workspace.id.toLowerCase())).size;
  const retirement = `prompt flow is retired on ${PROMPT_FLOW_RETIREMENT_DATE} (read-only from then; its runtime images get no updates, security fixes included, since ${PROMPT_FLOW_UPDATES_ENDED_DATE}; ${PROMPT_FLOW_RETIREMENT_SOURCE})`;
  const found =
    rows.length === 0
      ? `no prompt flow deployment remains in the ${plural(summary.workspaces, "workspace")} read`
      : `${plural(rows.length, "prompt flow deployment")} remain${rows.length === 1 ? "s" : ""} in ${plural(spanned, "workspace")}${summary.workspaces !== spanned ? ` (of ${summary.workspaces} read)` : ""}`;
  const lines = [`${found}: ${retirement}`];
  if (rows.length > 0) lines.push(...table(rows, spanned > 1));
  lines.push(`also read: ${plural(summary.agent, "agent deployment")}, ${plural(summary.other, "other deployment")}`);
  return lines;
}

function table(rows: readonly InventoryRow[], withWorkspace: boolean): string[] {
  const header = [...(withWorkspace ? ["WORKSPACE"] : []), "ENDPOINT", "DEPLOYMENT", "TRAFFIC", "INSTANCES", "IMAGE", "SUPPORT ENDS", "DAYS LEFT"];
  const cells = rows.map((r) => [
    ...(withWorkspace ? [r.workspace.name] : []),
    r.endpoint,
    r.deployment,
    `${r.trafficPercent}%${r.mirrorPercent > 0 ? ` (mirror ${r.mirrorPercent}%)` : ""}`,
    instances(r),
    r.image ?? "unknown",
    r.supportEnds,
    String(r.daysLeft),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const format = (c: string[]) => c.map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i]!))).join("  ");
  return [format(header), ...cells.map(format)];
}

/** `2 × Standard_DS4_v2`; what Azure left out is `?`. */
function instances(r: InventoryRow): string {
  return `${r.instanceCount ?? "?"} × ${r.instanceType ?? "?"}`;
}

export const registerInventoryCommand: RegisterCommand = (program, io, setExitCode) => {
  addAppOptions(
    program
      .command("inventory")
      .description(`list the deployments of the app's allowed workspaces that still run the prompt flow runtime (retired on ${PROMPT_FLOW_RETIREMENT_DATE}), most traffic first, with the days left`)
      .option("--workspace <ID>", "only this workspace (its ARM resource id; repeat for several); it must be in the app's FLOWDEPLOY_ALLOWED_WORKSPACES", (id: string, all: string[] = []) => [...all, id]),
  ).action(async (opts: InventoryOptions) => setExitCode(await runInventoryCommand(opts, io, process.env)));
};
