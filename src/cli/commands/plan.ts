import type { DeploymentPlan } from "../../plan/planDeployment";
import { ExitCode, UsageError, writeLine, type CliIO } from "../io";
import type { RegisterCommand } from "../command";
import { readInputText } from "../readInput";
import { addAppOptions, appBaseUrl, functionKeyHeader, httpErrorDetail, parseJson, type AppOptions } from "./operate";

/**
 * `flowdeploy plan FILE`: what a deploy request would do against Azure as it is now — the endpoint
 * created or reused, the roles and the principal they go to, the model version, the deployment name,
 * traffic before and after — changing nothing. With `--url` (or FLOWDEPLOY_URL) it asks a running
 * app (`POST /api/deployments?dryRun=true`); without, a local simulator (`--scenario`, `--state-dir`).
 * Exit 0: the request would start; 1: it would be rejected or stopped (problems listed); 2: usage.
 */
export interface PlanOptions extends AppOptions {
  scenario?: string;
  stateDir?: string;
}

export async function runPlanCommand(file: string, opts: PlanOptions, io: CliIO, env: NodeJS.ProcessEnv, fetchFn: typeof fetch = fetch): Promise<number> {
  const text = await readInputText(file, io.stdin);
  const remote = opts.url ?? env["FLOWDEPLOY_URL"];
  if (remote && (opts.scenario || opts.stateDir)) throw new UsageError("--scenario and --state-dir plan against the local simulator; they cannot be combined with --url / FLOWDEPLOY_URL");
  const answer = remote ? await planRemotely(text, opts, env, fetchFn, io) : await planLocally(text, opts);
  if (answer === undefined) return ExitCode.failure;
  if (opts.json) writeLine(io.stdout, JSON.stringify(answer.ok ? { plan: answer.plan } : { errors: answer.errors }));
  if (!answer.ok) {
    if (!opts.json) for (const line of answer.errors) writeLine(io.stderr, `Rejected: ${line}`);
    return ExitCode.failure;
  }
  if (!opts.json) for (const line of describePlan(answer.plan)) writeLine(io.stdout, line);
  return answer.plan.problems.length === 0 ? ExitCode.ok : ExitCode.failure;
}

type Answer = { ok: true; plan: DeploymentPlan } | { ok: false; errors: string[] };

async function planRemotely(text: string, opts: PlanOptions, env: NodeJS.ProcessEnv, fetchFn: typeof fetch, io: CliIO): Promise<Answer | undefined> {
  const base = appBaseUrl(opts, env);
  let response: Response;
  try {
    // No redirects: fetch would carry the key header to wherever a redirect points.
    response = await fetchFn(new URL("api/deployments?dryRun=true", base), { method: "POST", headers: { "content-type": "application/json", ...functionKeyHeader(opts, env) }, body: text, redirect: "error" });
  } catch (err) {
    writeLine(io.stderr, `flowdeploy plan: cannot reach ${base.origin}: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
  const body = await response.text();
  const json = parseJson(body) as { plan?: DeploymentPlan; errors?: string[] } | undefined;
  if (response.status === 200 && json?.plan) return { ok: true, plan: json.plan };
  if ((response.status === 400 || response.status === 403 || response.status === 413) && Array.isArray(json?.errors)) return { ok: false, errors: json.errors };
  writeLine(io.stderr, `flowdeploy plan: ${httpErrorDetail(response.status, json, body)}`);
  return undefined;
}

async function planLocally(text: string, opts: PlanOptions): Promise<Answer> {
  const { startLocalStack } = require("../../local/localStack") as typeof import("../../local/localStack");
  const { loadScenarioFile } = require("../../local/simulator") as typeof import("../../local/simulator");
  const { planWithApp } = require("../../functions/appServices") as typeof import("../../functions/appServices");
  const { settingsFromEnvironment } = require("./local") as typeof import("./local");
  let scenario: unknown;
  if (opts.scenario) {
    const parsed = loadScenarioFile(opts.scenario);
    if (!parsed.ok) throw new UsageError(`invalid scenario ${opts.scenario}:\n  ${parsed.errors.join("\n  ")}`);
    scenario = parsed.value;
  }
  const stack = await startLocalStack({ ...settingsFromEnvironment(), scenario: scenario as never, stateDir: opts.stateDir });
  try {
    const result = await planWithApp(text, stack.client);
    return result.outcome === "planned" ? { ok: true, plan: result.plan } : { ok: false, errors: result.lines };
  } finally {
    await stack.close();
  }
}

export function describePlan(plan: DeploymentPlan): string[] {
  const t = (traffic: Record<string, number>) => (Object.keys(traffic).length === 0 ? "none" : Object.entries(traffic).map(([n, v]) => `${n} ${v}%`).join(", "));
  return [
    `plan for ${plan.requestId} (nothing was changed):`,
    `  endpoint    ${plan.endpoint.action} ${plan.endpoint.name} (${plan.endpoint.authMode}, ${plan.endpoint.identity}${plan.endpoint.principalId ? `, principal ${plan.endpoint.principalId}` : ", principal known once created"})`,
    ...plan.roles.map((r) => `  role        ${r.state === "granted" ? "already granted" : r.state === "toGrant" ? "grant" : "unknown"}: ${r.role} on ${r.scope}`),
    `  ${plan.model.kind === "code" ? "code     " : "model    "}   ${plan.model.action} ${plan.model.name}:${plan.model.version}`,
    `  deployment  ${plan.deployment.action} ${plan.deployment.name}${plan.deployment.chosen ? ` (chosen: ${plan.deployment.chosen})` : ""} on ${plan.deployment.environment}; timeout ${plan.deployment.requestTimeoutSeconds} s, ${plan.deployment.maxConcurrentRequestsPerInstance} concurrent requests per instance`,
    `  wait        ${plan.propagationMinutes} minutes from the last grant`,
    `  traffic     before: ${t(plan.traffic.before)}; after: ${t(plan.traffic.after)}${plan.traffic.deleted.length > 0 ? `; deletes ${plan.traffic.deleted.join(", ")}` : ""}`,
    ...plan.warnings.map((w) => `  warning     ${w}`),
    ...(plan.problems.length === 0 ? ["  would start: no problems found"] : plan.problems.map((p) => `  PROBLEM     ${p.code}: ${p.message}`)),
  ];
}

export const registerPlanCommand: RegisterCommand = (program, io, setExitCode) => {
  addAppOptions(
    program
      .command("plan")
      .description("show what a deploy request would do against Azure as it is now (endpoint, roles and principal, model version, deployment name, traffic before and after), changing nothing")
      .argument("<FILE>", 'the deploy request JSON, or "-" for standard input')
      .option("--scenario <FILE>", "without --url: the simulator's starting state")
      .option("--state-dir <DIR>", "without --url: plan against the simulator state kept in DIR (by flowdeploy local/serve --state-dir)"),
  ).action(async (file: string, opts: PlanOptions) => setExitCode(await runPlanCommand(file, opts, io, process.env)));
};
