/**
 * How a prompt flow deployment takes requests: its timeout and how many run at once per instance.
 *
 * - Concurrency (prompt flow deploy-to-code how-to, "Configure concurrency for deployment"): the
 *   serving container runs PROMPTFLOW_WORKER_NUM workers (default: the instance's CPU cores) of
 *   PROMPTFLOW_WORKER_THREADS threads (default 1), and `max_concurrent_requests_per_instance` should
 *   be their product when a request takes longer than 200 ms — the case of flows calling models. ARM's
 *   own default is 1 (OnlineRequestSettings), which queues the workers' spare capacity away.
 * - Timeout (same how-to, "Upstream request timeout"): `request_timeout_ms` may reach 300,000 ms only
 *   for deployments of prompt flow models (those with `azureml.promptflow.source_flow_id`); other
 *   managed online deployments stop at 180,000 ms (reference-yaml-deployment-managed-online).
 */
export const DEFAULT_REQUEST_TIMEOUT_SECONDS = 90;
export const PROMPT_FLOW_MAX_REQUEST_TIMEOUT_SECONDS = 300;
export const MANAGED_MAX_REQUEST_TIMEOUT_SECONDS = 180;
/** The smoke test waits this much longer than the deployment's own request timeout, so the deployment answers first. */
export const SMOKE_TEST_TIMEOUT_MARGIN_SECONDS = 5;

/**
 * The D and DS v2 sizes predate Azure's size naming convention and do not carry their vCPU count in
 * the name (Dv2/DSv2 series pages): 1, 2, 4, 8, 16 for sizes 1-5; 2, 4, 8, 16, 20 for sizes 11-15.
 */
const DV2_VCPUS: Record<string, number> = { "1": 1, "2": 2, "3": 4, "4": 8, "5": 16, "11": 2, "12": 4, "13": 8, "14": 16, "15": 20 };

/**
 * vCPUs of an Azure VM size: the number after the family letters, by Azure's size naming convention
 * ("[Family] + [Sub-family] + [# of vCPUs] + ..." — virtual-machines/sizes/overview, naming
 * conventions), e.g. Standard_F4s_v2 → 4, Standard_NC6s_v3 → 6; the Dv2/DSv2 sizes from their table.
 */
export function vcpusOf(instanceType: string): number | undefined {
  const dv2 = /^Standard_DS?(\d+)_v2$/i.exec(instanceType);
  if (dv2) return DV2_VCPUS[dv2[1]!];
  const m = /^Standard_[A-Za-z]+?(\d+)/i.exec(instanceType);
  const n = m ? Number(m[1]) : NaN;
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

export interface RequestSettingsInput {
  instanceType: string;
  environmentVariables?: Record<string, string> | undefined;
  requestSettings?: { maxConcurrentRequestsPerInstance?: number | undefined; requestTimeoutSeconds?: number | undefined } | undefined;
}

export interface ResolvedRequestSettings {
  requestTimeoutSeconds: number;
  maxConcurrentRequestsPerInstance: number;
}

function positiveInt(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  const n = Number(value);
  return n > 0 ? n : undefined;
}

/**
 * The request's settings, or the rule of what serves it. Prompt flow: the how-to's workers × threads,
 * workers defaulting to the size's vCPUs (1 when unknown). Agent: the Azure ML inference server's
 * workers (WORKER_COUNT, default 1: azureml-inference-server-http settings), each taking one request.
 */
export function requestSettingsFor(deployment: RequestSettingsInput, target: "flow" | "model" | "agent" = "flow"): ResolvedRequestSettings {
  const env = deployment.environmentVariables ?? {};
  if (target === "agent") {
    return {
      requestTimeoutSeconds: deployment.requestSettings?.requestTimeoutSeconds ?? DEFAULT_REQUEST_TIMEOUT_SECONDS,
      maxConcurrentRequestsPerInstance: deployment.requestSettings?.maxConcurrentRequestsPerInstance ?? positiveInt(env["WORKER_COUNT"]) ?? 1,
    };
  }
  const workers = positiveInt(env["PROMPTFLOW_WORKER_NUM"]) ?? vcpusOf(deployment.instanceType) ?? 1;
  const threads = positiveInt(env["PROMPTFLOW_WORKER_THREADS"]) ?? 1;
  return {
    requestTimeoutSeconds: deployment.requestSettings?.requestTimeoutSeconds ?? DEFAULT_REQUEST_TIMEOUT_SECONDS,
    maxConcurrentRequestsPerInstance: deployment.requestSettings?.maxConcurrentRequestsPerInstance ?? workers * threads,
  };
}

/** The smoke test's timeout: the configured one, never shorter than the deployment's request timeout plus a margin. */
export function smokeTestTimeoutSeconds(configured: number, deployment: RequestSettingsInput): number {
  return Math.max(configured, requestSettingsFor(deployment).requestTimeoutSeconds + SMOKE_TEST_TIMEOUT_MARGIN_SECONDS);
}
