import type { Command } from "commander";
import { INSTANCE_ID_PATTERN } from "../../domain/ids";
import { LOOPBACK_HOSTS } from "../../domain/loopback";
import { ExitCode, UsageError, writeLine, type CliIO } from "../io";
import type { RegisterCommand } from "../command";

/**
 * Operator commands on a running deployment, through the Function App's HTTP routes (the Durable
 * management API is never exposed: DESIGN.md §6):
 *   flowdeploy cancel <instanceId>        POST /api/deployments/{id}/cancel
 *   flowdeploy approve <instanceId>       POST /api/deployments/{id}/approve
 *   flowdeploy reject <instanceId>        POST /api/deployments/{id}/reject (--reason required)
 *   flowdeploy release-lock <instanceId>  POST /api/deployments/{id}/release-lock
 * The app's base URL comes from --url or FLOWDEPLOY_URL (default: `flowdeploy serve`'s
 * http://127.0.0.1:7071); the function key from --function-key or FLOWDEPLOY_FUNCTION_KEY (preferred:
 * a flag's value stays in shell history and shows in process lists), sent as the `x-functions-key`
 * header, only over https or to this machine, never after a redirect, and never printed.
 * `flowdeploy status` and `flowdeploy list` (deployments.ts) use the same options. approve and reject
 * also send FLOWDEPLOY_ACCESS_TOKEN, when set, as `Authorization: Bearer`: with App Service
 * authentication on the app, that token is what names the approver (FLOWDEPLOY_APPROVERS).
 */
export interface AppOptions {
  url?: string;
  functionKey?: string;
  json?: boolean;
}

export interface OperateOptions extends AppOptions {
  reason?: string;
}

export const DEFAULT_URL = "http://127.0.0.1:7071";

export type OperateAction = "cancel" | "release-lock" | "approve" | "reject";

/** The routes' limit on a reason (src/functions/deploymentsHttp.ts). */
const MAX_REASON_CHARS = 500;

export async function runOperateCommand(action: OperateAction, instanceId: string, opts: OperateOptions, io: CliIO, env: NodeJS.ProcessEnv, fetchFn: typeof fetch = fetch): Promise<number> {
  if (!INSTANCE_ID_PATTERN.test(instanceId)) throw new UsageError(`<instanceId> must be an instance id such as deploy-0123abcd..., got '${instanceId}'`);
  const answersApproval = action === "approve" || action === "reject";
  if (answersApproval) checkReason(action, opts.reason);
  const base = appBaseUrl(opts, env);
  const headers: Record<string, string> = { "content-type": "application/json", ...functionKeyHeader(opts, env), ...(answersApproval ? accessTokenHeader(env) : {}) };
  const body = action !== "release-lock" && opts.reason !== undefined ? JSON.stringify({ reason: opts.reason }) : "";
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
  if (!opts.json) writeLine(io.stderr, `flowdeploy ${action}: HTTP ${response.status}: ${httpErrorDetail(response.status, json, text)}`);
  return ExitCode.failure;
}

/** What a refusal says: the route's `errors`, or a hint for 401, or the start of the answer. */
export function httpErrorDetail(status: number, json: unknown, text: string): string {
  const errors = (json as { errors?: unknown } | undefined)?.errors;
  if (Array.isArray(errors)) return errors.map(String).join("; ");
  return status === 401 ? "unauthorized: set FLOWDEPLOY_FUNCTION_KEY (or --function-key) to the app's function key" : text.slice(0, 200);
}

/** reject needs a reason (the Failed notification's message); either takes at most 500 characters. */
function checkReason(action: "approve" | "reject", reason: string | undefined): void {
  if (reason === undefined) {
    if (action === "reject") throw new UsageError("reject needs --reason TEXT: it becomes the message of the Failed notification");
    return;
  }
  if (reason.trim() === "" || reason.length > MAX_REASON_CHARS) throw new UsageError(`--reason must be 1 to ${MAX_REASON_CHARS} characters`);
}

/** `Authorization: Bearer` from FLOWDEPLOY_ACCESS_TOKEN (an environment value only: a flag's value would stay in shell history). */
export function accessTokenHeader(env: NodeJS.ProcessEnv): Record<string, string> {
  const token = env["FLOWDEPLOY_ACCESS_TOKEN"]?.trim();
  return token ? { authorization: `Bearer ${token}` } : {};
}

function describeSuccess(action: OperateAction, instanceId: string, body: unknown): string {
  if (action === "cancel") return `cancel requested for ${instanceId}: honoured unless traffic has started to move (a queued run stops when its turn comes); the outcome arrives as a notification (flowdeploy watch)`;
  if (action === "approve" || action === "reject") {
    const by = String((body as { by?: unknown } | undefined)?.by ?? "?");
    return action === "approve"
      ? `approved ${instanceId} as ${by}: the deployment goes on to move traffic; the outcome arrives as a notification (flowdeploy watch)`
      : `rejected ${instanceId} as ${by}: the deployment ends Failed (ApprovalRejected) without touching live traffic; the notification follows (flowdeploy watch)`;
  }
  const lock = (body as { lock?: unknown; endpoint?: unknown } | undefined) ?? {};
  return lock.lock === "released" ? `the lock of ${instanceId} was already released` : `releasing the endpoint lock held by ${instanceId} (endpoint ${String(lock.endpoint)})`;
}

/** The app's base URL from --url, FLOWDEPLOY_URL or the default; https unless it is this machine. */
export function appBaseUrl(opts: AppOptions, env: NodeJS.ProcessEnv): URL {
  return baseUrl(opts.url ?? env["FLOWDEPLOY_URL"] ?? DEFAULT_URL);
}

/** The `x-functions-key` header from --function-key, else FLOWDEPLOY_FUNCTION_KEY; none when neither is set. */
export function functionKeyHeader(opts: AppOptions, env: NodeJS.ProcessEnv): Record<string, string> {
  if (opts.functionKey !== undefined && opts.functionKey.trim() === "") throw new UsageError("--function-key must not be empty");
  const key = opts.functionKey ?? env["FLOWDEPLOY_FUNCTION_KEY"];
  return key ? { "x-functions-key": key } : {};
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

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** --url, --function-key and --json, shared by the commands that call the app's HTTP routes. */
export function addAppOptions(command: Command): Command {
  return command
    .option("--url <URL>", `the Function App's base URL (default: FLOWDEPLOY_URL, else ${DEFAULT_URL})`)
    .option("--function-key <KEY>", "the app's function key, sent as x-functions-key (default: FLOWDEPLOY_FUNCTION_KEY, which keeps it out of shell history)")
    .option("--json", "print the HTTP status and answer as one JSON line");
}

export const registerOperateCommands: RegisterCommand = (program, io, setExitCode) => {
  addAppOptions(
    program
      .command("cancel")
      .description("cancel a running deployment: it removes or keeps at 0% its new deployment per rollout.onFailure, leaves live traffic as it was, and sends a Cancelled notification")
      .argument("<instanceId>", "the deployment's instance id (deploy-...)")
      .option("--reason <TEXT>", "why (shown in the Cancelled notification)"),
  ).action(async (instanceId: string, opts: OperateOptions) => setExitCode(await runOperateCommand("cancel", instanceId, opts, io, process.env)));
  addAppOptions(
    program
      .command("approve")
      .description("approve a deployment waiting for approval (rollout.approval): it goes on to move traffic. Who approves is who the app's authentication says (FLOWDEPLOY_ACCESS_TOKEN), checked against FLOWDEPLOY_APPROVERS")
      .argument("<instanceId>", "the deployment's instance id (deploy-...)")
      .option("--reason <TEXT>", "why (shown in the notifications)"),
  ).action(async (instanceId: string, opts: OperateOptions) => setExitCode(await runOperateCommand("approve", instanceId, opts, io, process.env)));
  addAppOptions(
    program
      .command("reject")
      .description("reject a deployment waiting for approval: it ends Failed (ApprovalRejected), live traffic untouched, its new deployment handled per rollout.onFailure")
      .argument("<instanceId>", "the deployment's instance id (deploy-...)")
      .requiredOption("--reason <TEXT>", "why (required: the Failed notification's message)"),
  ).action(async (instanceId: string, opts: OperateOptions) => setExitCode(await runOperateCommand("reject", instanceId, opts, io, process.env)));
  addAppOptions(
    program
      .command("release-lock")
      .description("free the endpoint lock held by a deployment that no longer runs (terminated, or failed by a replay error); refused while it runs")
      .argument("<instanceId>", "the dead deployment's instance id (deploy-...)"),
  ).action(async (instanceId: string, opts: OperateOptions) => setExitCode(await runOperateCommand("release-lock", instanceId, opts, io, process.env)));
};
