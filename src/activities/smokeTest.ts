import type { SmokeTestResult } from "../contracts/activities";
import { getOnlineEndpoint } from "../azure/mlOperations";
import { SmokeTestInput } from "../contracts/activities";
import { NonRetryableError, RetryAfterError } from "../errors";
import { wsArgs } from "./arm";
import type { ScoreResponse } from "./scoring";
import type { ActivityDeps, ScoringClient } from "./deps";

/** Longest excerpt of an answer kept in a reason: enough to diagnose, too short to carry a payload. */
const MAX_EXCERPT_CHARS = 80;
/**
 * A prompt flow that cannot read its workspace connections yet (Connection Secrets Reader not
 * effective) fails with this user error, surfaced by the front end as 424 Model Error.
 */
const SECRETS_NOT_READABLE = /access denied to list workspace secret/i;
/**
 * An agent whose identity's role on its AI Services account or Key Vault is not effective yet fails in
 * run() with the service's RBAC denial, which the inference server answers 500 and the front end 424:
 * Azure OpenAI / AI Services "PermissionDenied ... lacks the required data action", Key Vault
 * "ForbiddenByRbac" (docs/agents.md, "Roles").
 */
const AGENT_NOT_AUTHORIZED = /PermissionDenied|lacks the required data action|ForbiddenByRbac/i;

/**
 * Scores the request's sample input against the new deployment only (`azureml-model-deployment`
 * header: it bypasses the traffic split, so a 0% deployment can be tested) and classifies the answer.
 * The key or token is read here and never leaves this function: not in the result, errors or logs.
 */
export async function smokeTest(deps: ActivityDeps, rawInput: SmokeTestInput): Promise<SmokeTestResult> {
  const input = SmokeTestInput.parse(rawInput);
  const access = await scoringAccess(deps, input);
  if ("problem" in access) return { outcome: "failed", status: null, reason: access.problem, durationMs: 0 };
  const { scoringUri, secret } = access;

  const started = performance.now();
  const answer = await post(deps.scoring, scoringUri, secret, input);
  const durationMs = Math.round(performance.now() - started);
  // Scrubbed before anything is quoted from it: an excerpt cut from the raw answer could hold part of
  // the key's base64 form that no longer matches it whole.
  const result = { ...classify(scrubAnswer(answer, secret), input.expectFields ?? []), durationMs };
  return { ...result, reason: scrub(result.reason, secret) };
}

/** Every string in an answer's body, scrubbed of the key (see `scrub`): what the answer may be quoted from. */
export function scrubAnswer(answer: ScoreResponse, secret: string): ScoreResponse {
  return { ...answer, body: scrubDeep(answer.body, secret) };
}

function scrubDeep(value: unknown, secret: string): unknown {
  if (typeof value === "string") return scrub(value, secret);
  if (Array.isArray(value)) return value.map((v) => scrubDeep(v, secret));
  if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [scrub(k, secret), scrubDeep(v, secret)]));
  return value;
}

/**
 * The endpoint's scoring URI (checked: https on an allowed inference host) and its key or token, or
 * why there is none. The secret stays with the caller: never in a result, error or log.
 */
export async function scoringAccess(
  deps: ActivityDeps,
  input: { workspace: { subscriptionId: string; resourceGroup: string; name: string }; endpointName: string; authMode: "key" | "aml_token" },
): Promise<{ scoringUri: string; secret: string } | { problem: string }> {
  const ml = deps.ml(input.workspace.subscriptionId);
  const [rg, ws] = wsArgs(input.workspace);
  const endpoint = await getOnlineEndpoint(ml, rg, ws, input.endpointName);
  const scoringUri = endpoint.properties.scoringUri;
  if (!scoringUri) return { problem: `endpoint ${input.endpointName} has no scoring URI` };
  // The key or token goes only to an Azure ML inference host over https (docs/security.md, row U2).
  assertTrustedScoringUri(scoringUri, deps.settings.scoringHostSuffixes);
  const secret = input.authMode === "key" ? (await ml.onlineEndpoints.listKeys(rg, ws, input.endpointName)).primaryKey : (await ml.onlineEndpoints.getToken(rg, ws, input.endpointName)).accessToken;
  if (!secret) return { problem: `endpoint ${input.endpointName} returned no ${input.authMode === "key" ? "key" : "token"}` };
  return { scoringUri, secret };
}

/**
 * A scoring URI may receive the endpoint's key only if it is https on an allowed inference host:
 * `<endpoint>.<region>.inference.ml.azure.com` in public Azure (Azure ML online endpoints), another
 * suffix for another cloud (FLOWDEPLOY_SCORING_HOST_SUFFIXES), the simulator's host locally.
 */
export function assertTrustedScoringUri(uri: string, suffixes: readonly string[]): void {
  let url: URL | undefined;
  try {
    url = new URL(uri);
  } catch {
    url = undefined;
  }
  const host = url?.hostname.toLowerCase() ?? "";
  const trusted = url?.protocol === "https:" && suffixes.some((suffix) => {
    const s = suffix.toLowerCase().replace(/^\./, "");
    return host === s || host.endsWith(`.${s}`);
  });
  if (!trusted) {
    throw new NonRetryableError(`the endpoint's scoring URI is not https on an allowed inference host (${suffixes.join(", ")}); no key was sent`, { code: "UntrustedScoringUri" });
  }
}

export async function post(scoring: ScoringClient, uri: string, secret: string, input: { input: Record<string, unknown>; deploymentName: string; timeoutSeconds: number }): Promise<ScoreResponse> {
  try {
    return await scoring.score({ scoringUri: uri, secret, input: input.input, deployment: input.deploymentName, timeoutMs: input.timeoutSeconds * 1000 });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    // Never pass the original error on: its request options hold the Authorization header.
    throw new RetryAfterError(`scoring request failed: ${typeof code === "string" ? code : "network error"}`, { code: typeof code === "string" ? code : "ScoringUnreachable" });
  }
}

/** passed / notYetAuthorized / failed, from the scoring answer (Azure ML online endpoint status codes). */
export function classify(answer: ScoreResponse, expectFields: readonly string[]): Omit<SmokeTestResult, "durationMs"> {
  const { status, headers, body } = answer;
  if (status === 200) {
    const output = body;
    if (typeof output !== "object" || output === null) return { outcome: "failed", status, reason: "answer is not a JSON object" };
    const missing = expectFields.filter((f) => typeof output !== "object" || output === null || !(f in output));
    return missing.length === 0 ? { outcome: "passed", status, reason: "ok" } : { outcome: "failed", status, reason: `answer lacks expected field${missing.length > 1 ? "s" : ""} ${missing.join(", ")}` };
  }
  const detail = errorDetail(body);
  // 401/403: the endpoint's auth is not in place for this caller yet (or the token is stale).
  if (status === 401 || status === 403) return { outcome: "notYetAuthorized", status, reason: `HTTP ${status}${detail ? `: ${detail}` : ""}` };
  if (status === 424) {
    const modelStatus = headers["ms-azureml-model-error-statuscode"];
    const reason = `HTTP 424 model error${modelStatus ? ` (container ${modelStatus})` : ""}${detail ? `: ${detail}` : ""}`;
    const text = typeof body === "string" ? body : JSON.stringify(body ?? "");
    return SECRETS_NOT_READABLE.test(text) || AGENT_NOT_AUTHORIZED.test(text) ? { outcome: "notYetAuthorized", status, reason } : { outcome: "failed", status, reason };
  }
  // 429 (too many pending requests) and 503 are the front end asking for patience.
  if (status === 429 || status === 503) throw new RetryAfterError(`scoring answered HTTP ${status}`, { code: `Http${status}`, status });
  return { outcome: "failed", status, reason: `HTTP ${status}${detail ? `: ${detail}` : ""}` };
}

/** `error.code: error.message` or `message` from a JSON error body, as a short excerpt. */
function errorDetail(body: unknown): string {
  if (typeof body === "string") return excerpt(body);
  if (typeof body !== "object" || body === null) return "";
  const parsed = body as { error?: { code?: unknown; message?: unknown }; message?: unknown };
  const code = typeof parsed.error?.code === "string" ? parsed.error.code : undefined;
  const message = typeof parsed.error?.message === "string" ? parsed.error.message : typeof parsed.message === "string" ? parsed.message : undefined;
  return excerpt([code, message].filter(Boolean).join(": "));
}

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > MAX_EXCERPT_CHARS ? `${flat.slice(0, MAX_EXCERPT_CHARS)}…` : flat;
}

/**
 * What an answer excerpt may not carry: the key or token itself, its base64 form (a container may
 * echo a decoded or encoded header), and anything shaped like a bearer token or a long key.
 */
export function scrub(text: string, secret: string): string {
  let out = text;
  if (secret) {
    for (const form of [secret, Buffer.from(secret, "utf8").toString("base64"), Buffer.from(secret, "utf8").toString("base64url")]) out = out.split(form).join("***");
  }
  return out
    .replace(/\bBearer\s+\S+/gi, "Bearer ***")
    .replace(/\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*/g, "***")
    .replace(/[A-Za-z0-9+/_-]{32,}={0,2}/g, "***");
}
