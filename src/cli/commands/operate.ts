import type { Command } from "commander";
import { INSTANCE_ID_PATTERN } from "../../domain/ids";
import { LOOPBACK_HOSTS } from "../../domain/loopback";
import { ExitCode, UsageError, writeLine, type CliIO } from "../io";
import type { RegisterCommand } from "../main";

/**
 * Operator commands on a running deployment, through the Function App's HTTP routes (the Durable
 * management API is never exposed: DESIGN.md §6):
 *   flowdeploy cancel <instanceId>        POST /api/deployments/{id}/cancel
 *   flowdeploy release-lock <instanceId>  POST /api/deployments/{id}/release-lock
 * The app's base URL comes from --url or FLOWDEPLOY_URL (default: `flowdeploy serve`'s
 * http://127.0.0.1:7071); the function key from FLOWDEPLOY_FUNCTION_KEY only (never a flag, so it
 * stays out of shell history), sent as the `x-functions-key` header and never printed.
 */
export interface OperateOptions {
  url?: string;
  reason?: string;
  json?: boolean;
}

const DEFAULT_URL = "http://127.0.0.1:7071";

export async function runOperateCommand(action: "cancel" | "release-lock", instanceId: string, opts: OperateOptions, io: CliIO, env: NodeJS.ProcessEnv, fetchFn: typeof fetch = fetch): Promise<number> {
  if (!INSTANCE_ID_PATTERN.test(instanceId)) throw new UsageError(`<instanceId> must be an instance id such as deploy-0123abcd..., got '${instanceId}'`);
  const base = baseUrl(opts.url ?? env["FLOWDEPLOY_URL"] ?? DEFAULT_URL);
  const key = env["FLOWDEPLOY_FUNCTION_KEY"];
  const headers: Record<string, string> = { "content-type": "application/json", ...(key ? { "x-functions-key": key } : {}) };
  const body = action === "cancel" && opts.reason !== undefined ? JSON.stringify({ reason: opts.reason }) : "";
  let response: Response;
  try {
    // No redirects: fetch would carry the custom key header to wherever a redirect points.
    response = await fetchFn(new URL(`api/deployments/${encodeURIComponent(instanceId)}/${action}`, base), { method: "POST", headers, body, redirect: "error" });
  } catch (err) {
    writeLine(io.stderr, `flowdeploy ${action}: cannot reach ${base.origin}: ${err instanceof Error ? err.message : String(err)}`);
    return ExitCode.failure;
  }
  const text = await response.text();
  const json = parseJson(text);
  if (opts.json) writeLine(io.stdout, JSON.stringify({ status: response.status, body: json ?? text }));
  if (response.status === 200 || response.status === 202) {
    if (!opts.json) writeLine(io.stdout, describeSuccess(action, instanceId, json));
    return ExitCode.ok;
  }
  if (!opts.json) {
    const errors = (json as { errors?: unknown } | undefined)?.errors;
    const detail = Array.isArray(errors) ? errors.map(String).join("; ") : response.status === 401 ? "unauthorized: set FLOWDEPLOY_FUNCTION_KEY to the app's function key" : text.slice(0, 200);
    writeLine(io.stderr, `flowdeploy ${action}: HTTP ${response.status}: ${detail}`);
  }
  return ExitCode.failure;
}

function describeSuccess(action: "cancel" | "release-lock", instanceId: string, body: unknown): string {
  if (action === "cancel") return `cancel requested for ${instanceId}: honoured unless traffic has started to move (a queued run stops when its turn comes); the outcome arrives as a notification (flowdeploy watch)`;
  const lock = (body as { lock?: unknown; endpoint?: unknown } | undefined) ?? {};
  return lock.lock === "released" ? `the lock of ${instanceId} was already released` : `releasing the endpoint lock held by ${instanceId} (endpoint ${String(lock.endpoint)})`;
}

function baseUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value.endsWith("/") ? value : `${value}/`);
  } catch {
    throw new UsageError(`--url must be an http(s) URL such as https://my-app.azurewebsites.net, got '${value}'`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new UsageError(`--url must be http(s), got '${value}'`);
  // The function key must not cross a network in the clear: plain http only to this machine (flowdeploy serve).
  if (url.protocol === "http:" && !LOOPBACK_HOSTS.has(url.hostname)) throw new UsageError(`--url must be https for a remote app (http only for loopback), got '${value}'`);
  return url;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function addCommon(command: Command): Command {
  return command.option("--url <URL>", `the Function App's base URL (default: FLOWDEPLOY_URL, else ${DEFAULT_URL}); the key comes from FLOWDEPLOY_FUNCTION_KEY`).option("--json", "print the HTTP status and answer as one JSON line");
}

export const registerOperateCommands: RegisterCommand = (program, io, setExitCode) => {
  addCommon(
    program
      .command("cancel")
      .description("cancel a running deployment: it removes or keeps at 0% its new deployment per rollout.onFailure, leaves live traffic as it was, and sends a Cancelled notification")
      .argument("<instanceId>", "the deployment's instance id (deploy-...)")
      .option("--reason <TEXT>", "why (shown in the Cancelled notification)"),
  ).action(async (instanceId: string, opts: OperateOptions) => setExitCode(await runOperateCommand("cancel", instanceId, opts, io, process.env)));
  addCommon(
    program
      .command("release-lock")
      .description("free the endpoint lock held by a deployment that no longer runs (terminated, or failed by a replay error); refused while it runs")
      .argument("<instanceId>", "the dead deployment's instance id (deploy-...)"),
  ).action(async (instanceId: string, opts: OperateOptions) => setExitCode(await runOperateCommand("release-lock", instanceId, opts, io, process.env)));
};
