import { DEPLOYMENT_OUTCOMES, isLookupRequestId, parseDeploymentQuery } from "../../intake/deploymentQueries";
import type { DeployFlowStatus } from "../../contracts/orchestration";
import { parityNote, rolloutProgress, verdictNote } from "../../domain/rolloutProgress";
import { ExitCode, UsageError, writeLine, type CliIO } from "../io";
import type { RegisterCommand } from "../command";
import { addAppOptions, appBaseUrl, functionKeyHeader, httpErrorDetail, parseJson, type AppOptions } from "./operate";

/**
 * Finding and following deployments through the app's HTTP routes, against `flowdeploy serve` or a
 * Function App (the same --url, --function-key / FLOWDEPLOY_FUNCTION_KEY and --json as cancel):
 *   flowdeploy status <requestId|instanceId>   GET /api/deployments?requestId=… (or /api/deployments/{id})
 *   flowdeploy list [--outcome] [--endpoint] [--top] [--continuation-token]   GET /api/deployments
 * Exit codes: status 0 when the deployment runs or Succeeded, 1 when it Failed, was Cancelled or
 * Terminated, when none is found or the app refuses or cannot be reached; list 0 for any page (even
 * empty), 1 when refused or unreachable; both 2 for usage errors.
 */
export interface ListOptions extends AppOptions {
  outcome?: string;
  endpoint?: string;
  top?: string;
  continuationToken?: string;
}

/** The shape of the instance ids flowdeploy makes (ids.ts instanceIdFor): anything else is a request id. */
const INSTANCE_ID_SHAPE = /^deploy-[0-9a-f]{32}$/;

interface Answer {
  status: number;
  body: unknown;
}

type Fetch = typeof fetch;

async function getJson(base: URL, path: string, headers: Record<string, string>, fetchFn: Fetch): Promise<Answer> {
  // No redirects: fetch would carry the key header to wherever a redirect points.
  const response = await fetchFn(new URL(path, base), { method: "GET", headers, redirect: "error" });
  const text = await response.text();
  const json = parseJson(text);
  return { status: response.status, body: json ?? text };
}

function unreachable(command: string, base: URL, err: unknown, io: CliIO): number {
  writeLine(io.stderr, `flowdeploy ${command}: cannot reach ${base.origin}: ${err instanceof Error ? err.message : String(err)}`);
  return ExitCode.failure;
}

export async function runStatusCommand(id: string, opts: AppOptions, io: CliIO, env: NodeJS.ProcessEnv, fetchFn: Fetch = fetch): Promise<number> {
  if (!isLookupRequestId(id)) throw new UsageError(`<requestId|instanceId> must be a request id or an instance id (deploy-...), got '${id.slice(0, 60)}'`);
  const base = appBaseUrl(opts, env);
  const headers = { accept: "application/json", ...functionKeyHeader(opts, env) };
  const byRequestId = `api/deployments?requestId=${encodeURIComponent(id)}`;
  // An instance id is asked for as one first; a request id that happens to look like one still resolves.
  const paths = INSTANCE_ID_SHAPE.test(id) ? [`api/deployments/${id}`, byRequestId] : [byRequestId];
  let answer: Answer | undefined;
  for (const path of paths) {
    try {
      answer = await getJson(base, path, headers, fetchFn);
    } catch (err) {
      return unreachable("status", base, err, io);
    }
    if (answer.status !== 404) break;
  }
  const { status, body } = answer!;
  if (opts.json) writeLine(io.stdout, JSON.stringify({ status, body }));
  if (status !== 200) {
    if (!opts.json) {
      const detail = status === 404 && paths.length > 1 ? `no deployment has the instance id or request id '${id}'` : httpErrorDetail(status, body, typeof body === "string" ? body : "");
      writeLine(io.stderr, `flowdeploy status: HTTP ${status}: ${detail}`);
    }
    return ExitCode.failure;
  }
  const deployment = body as StatusBody;
  if (!opts.json) for (const line of describeStatus(deployment)) writeLine(io.stdout, line);
  return deployment.outcome === "Running" || deployment.outcome === "Succeeded" ? ExitCode.ok : ExitCode.failure;
}

export async function runListCommand(opts: ListOptions, io: CliIO, env: NodeJS.ProcessEnv, fetchFn: Fetch = fetch): Promise<number> {
  const params = new URLSearchParams();
  if (opts.outcome !== undefined) params.set("outcome", opts.outcome);
  if (opts.endpoint !== undefined) params.set("endpoint", opts.endpoint);
  if (opts.top !== undefined) params.set("top", opts.top);
  if (opts.continuationToken !== undefined) params.set("continuationToken", opts.continuationToken);
  // The route's own checks, before anything is sent: a bad flag is a usage error here.
  const checked = parseDeploymentQuery(params);
  if (!checked.ok) throw new UsageError(checked.errors.map((e) => `--${e.replace(/^continuationToken/, "continuation-token")}`).join("; "));
  const base = appBaseUrl(opts, env);
  const headers = { accept: "application/json", ...functionKeyHeader(opts, env) };
  let answer: Answer;
  try {
    answer = await getJson(base, `api/deployments${params.toString() ? `?${params.toString()}` : ""}`, headers, fetchFn);
  } catch (err) {
    return unreachable("list", base, err, io);
  }
  const { status, body } = answer;
  if (opts.json) writeLine(io.stdout, JSON.stringify({ status, body }));
  if (status !== 200) {
    if (!opts.json) writeLine(io.stderr, `flowdeploy list: HTTP ${status}: ${httpErrorDetail(status, body, typeof body === "string" ? body : "")}`);
    return ExitCode.failure;
  }
  if (!opts.json) for (const line of describePage(body as PageBody, opts)) writeLine(io.stdout, line);
  return ExitCode.ok;
}

interface StageLine {
  name?: string;
  outcome?: string;
  startedAt?: string | null;
  endedAt?: string | null;
}

interface StatusBody {
  instanceId: string;
  requestId: string | null;
  outcome: string | null;
  endpoint: string | null;
  deployment: string | null;
  runtimeStatus: string;
  customStatus: { stage?: string; stages?: StageLine[]; warnings?: string[]; updatedAt?: string } | null;
  output: {
    endpoint?: { name?: string; scoringUri?: string | null } | null;
    stages?: StageLine[];
    error?: { stage?: string; code?: string; message?: string } | null;
    warnings?: string[];
  } | null;
  createdTime: string;
  lastUpdatedTime: string;
}

function describeStatus(d: StatusBody): string[] {
  const custom = d.customStatus ?? {};
  const output = d.output ?? {};
  const endpoint = d.endpoint ?? "?";
  const deployment = d.deployment;
  const lines = [
    `${d.instanceId}  ${d.outcome ?? d.runtimeStatus}  ${deployment ? `${endpoint}/${deployment}` : endpoint}  request=${d.requestId ?? "?"}`,
    `  runtime ${d.runtimeStatus}, stage ${custom.stage ?? "(not started)"}, created ${d.createdTime}, updated ${d.lastUpdatedTime}`,
  ];
  for (const s of output.stages ?? custom.stages ?? []) {
    lines.push(`  ${String(s.name ?? "?").padEnd(12)} ${String(s.outcome ?? "?").padEnd(10)} ${s.startedAt ?? "?"} -> ${s.endedAt ?? "..."}`);
  }
  // While it runs: what the rollout waits for (approval, bake, change window), and the last verdict.
  if (d.runtimeStatus === "Running" && d.customStatus?.updatedAt) {
    const status = d.customStatus as DeployFlowStatus;
    for (const p of rolloutProgress(undefined, status)) lines.push(`  ${p.stage.padEnd(12)} ${p.event} ${p.note}`);
    if (status.lastAnalysis) lines.push(`  last analysis: ${verdictNote(status.lastAnalysis)}`);
  }
  // A migration's parity check: the score, and each failing case the notification carries.
  const parity = (d.customStatus as DeployFlowStatus | undefined)?.parity;
  if (parity) lines.push(`  parity: ${parityNote(parity)}`);
  for (const c of (output as { parity?: { failing?: { index: number; reasons: string[] }[] } }).parity?.failing ?? []) lines.push(`    case #${c.index}: ${c.reasons.join("; ")}`);
  if (output.error) lines.push(`  error: ${output.error.stage ?? "?"} ${output.error.code ?? "?"}: ${output.error.message ?? ""}`);
  if (output.endpoint?.scoringUri) lines.push(`  scoring URI: ${output.endpoint.scoringUri}`);
  for (const w of output.warnings ?? custom.warnings ?? []) lines.push(`  warning: ${w}`);
  return lines;
}

interface PageBody {
  deployments: Array<{ instanceId: string; requestId: string | null; outcome: string; stage: string | null; endpoint: string | null; deployment: string | null; createdTime: string; lock?: string }>;
  continuationToken: string | null;
}

function describePage(page: PageBody, opts: ListOptions): string[] {
  if (page.deployments.length === 0) return [opts.continuationToken ? "no more deployments" : "no deployments"];
  const rows = page.deployments.map((d) => [
    d.createdTime,
    d.outcome + (d.outcome === "Running" && d.stage ? ` (${d.stage})` : "") + (d.lock ? ` (lock ${d.lock})` : ""),
    d.deployment ? `${d.endpoint ?? "?"}/${d.deployment}` : (d.endpoint ?? "?"),
    d.requestId ?? "?",
    d.instanceId,
  ]);
  const header = ["CREATED", "OUTCOME", "ENDPOINT/DEPLOYMENT", "REQUEST", "INSTANCE"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const format = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ");
  const lines = [format(header), ...rows.map(format)];
  if (page.continuationToken) {
    const flags = [opts.outcome ? `--outcome ${opts.outcome}` : "", opts.endpoint ? `--endpoint ${opts.endpoint}` : "", opts.top ? `--top ${opts.top}` : ""].filter(Boolean);
    lines.push(`more: flowdeploy list ${[...flags, `--continuation-token ${page.continuationToken}`].join(" ")}`);
  }
  return lines;
}

export const registerDeploymentQueryCommands: RegisterCommand = (program, io, setExitCode) => {
  addAppOptions(
    program
      .command("status")
      .description("show a deployment by its request id or instance id: outcome, stages, error; exit 0 while it runs or when it Succeeded, 1 otherwise")
      .argument("<requestId|instanceId>", "the request id of the deploy request or event (e.g. bulktest-...), or the instance id (deploy-...)"),
  ).action(async (id: string, opts: AppOptions) => setExitCode(await runStatusCommand(id, opts, io, process.env)));
  addAppOptions(
    program
      .command("list")
      .description("list deployments, newest first, a page at a time")
      .option("--outcome <OUTCOME>", `only these outcomes: ${DEPLOYMENT_OUTCOMES.join(", ")} (several comma-separated)`)
      .option("--endpoint <NAME>", "only deployments to this endpoint")
      .option("--top <N>", "deployments per page (default 20, at most 100)")
      .option("--continuation-token <TOKEN>", "the next page, as the previous page's `more:` line gives it"),
  ).action(async (opts: ListOptions) => setExitCode(await runListCommand(opts, io, process.env)));
};
