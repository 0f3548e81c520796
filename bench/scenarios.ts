/**
 * What the benchmarks run: latency mixes for the simulator, the deploy requests, the poll policies
 * compared, and the closed-form times every measurement is set against (lower bounds and the
 * portal walkthrough's sequential order). See docs/benchmarks.md.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseDeployRequest, type DeployRequest } from "../src/contracts";
import { propagationMinutesOf } from "../src/domain/targets";
import type { ScenarioInput } from "../src/local/simulator";

export const repoRoot = join(__dirname, "..");

/** Every run starts its virtual clock here, so simulated timestamps are comparable across runs. */
export const T0 = new Date("2026-11-23T10:00:00.000Z");

export interface LatencyMix {
  name: string;
  description: string;
  endpointSeconds: number;
  deploymentSeconds: number;
  /** When the simulator makes a role assignment effective (Azure side). */
  propagationSeconds: number;
  trafficUpdateSeconds: number;
  /**
   * The endpoint already exists, serving `blue` at 100%, and its identity's Connection Secrets
   * Reader grant is a day old (already effective): no endpoint wait and no propagation wait.
   */
  existingEndpoint: boolean;
}

export const LATENCY_MIXES: readonly LatencyMix[] = [
  {
    name: "default",
    description: "new endpoint, realistic latencies (endpoint 90 s, deployment 720 s, propagation 900 s, traffic 30 s)",
    endpointSeconds: 90,
    deploymentSeconds: 720,
    propagationSeconds: 900,
    trafficUpdateSeconds: 30,
    existingEndpoint: false,
  },
  {
    name: "fastDeployment",
    description: "new endpoint, fast 300 s deployment: the propagation wait dominates",
    endpointSeconds: 90,
    deploymentSeconds: 300,
    propagationSeconds: 900,
    trafficUpdateSeconds: 30,
    existingEndpoint: false,
  },
  {
    name: "slowDeployment",
    description: "new endpoint, slow 1500 s deployment: the deployment dominates",
    endpointSeconds: 90,
    deploymentSeconds: 1500,
    propagationSeconds: 900,
    trafficUpdateSeconds: 30,
    existingEndpoint: false,
  },
  {
    name: "existingEndpoint",
    description: "existing endpoint with an old grant (blue at 100%), deployment 720 s",
    endpointSeconds: 90,
    deploymentSeconds: 720,
    propagationSeconds: 900,
    trafficUpdateSeconds: 30,
    existingEndpoint: true,
  },
  {
    name: "existingFastDeployment",
    description: "existing endpoint with an old grant, deployment 300 s: every deployment poll counts",
    endpointSeconds: 90,
    deploymentSeconds: 300,
    propagationSeconds: 900,
    trafficUpdateSeconds: 30,
    existingEndpoint: true,
  },
];

export function mixNamed(name: string): LatencyMix {
  const mix = LATENCY_MIXES.find((m) => m.name === name);
  if (!mix) throw new Error(`unknown latency mix ${name}`);
  return mix;
}

export const ENDPOINT_NAME = "web-classify";

export function scenarioFor(mix: LatencyMix): ScenarioInput {
  return {
    description: `bench: ${mix.description}`,
    latency: {
      endpointSeconds: mix.endpointSeconds,
      deploymentSeconds: mix.deploymentSeconds,
      deploymentUpdateSeconds: mix.deploymentSeconds,
      propagationSeconds: mix.propagationSeconds,
      trafficUpdateSeconds: mix.trafficUpdateSeconds,
    },
    ...(mix.existingEndpoint ? { existing: [{ endpoint: ENDPOINT_NAME, deployments: [{ name: "blue", traffic: 100 }] }] } : {}),
  };
}

/** The bundled sample request (web-classification → web-classify/green, system-assigned identity, 16-minute wait). */
export function sampleRequestJson(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(repoRoot, "samples", "deploy-request.json"), "utf8")) as Record<string, unknown>;
}

/** The sample request with another id, endpoint and deployment, validated as the trigger would. */
export function deployRequest(overrides: { requestId?: string; endpoint?: string; deployment?: string } = {}): DeployRequest {
  const raw = sampleRequestJson() as { requestId: string; endpoint: { name: string }; deployment: { name: string } };
  if (overrides.requestId) raw.requestId = overrides.requestId;
  if (overrides.endpoint) raw.endpoint.name = overrides.endpoint;
  if (overrides.deployment) raw.deployment.name = overrides.deployment;
  const parsed = parseDeployRequest(raw);
  if (!parsed.ok) throw new Error(`bench request does not validate: ${JSON.stringify(parsed.issues)}`);
  return parsed.value;
}

/** The product's propagation wait from the grant (request.propagationMinutes, default 16). */
export function policyWaitSeconds(request: DeployRequest = deployRequest()): number {
  return propagationMinutesOf(request) * 60;
}

export interface ReferenceTimes {
  /** max(endpoint + deployment, endpoint + grant + propagation) + smoke test + traffic update, with Azure's propagation (simulator). */
  lowerBoundAzureSeconds: number;
  /** The same with the product's wait: max(simulated propagation, propagationMinutes × 60). */
  lowerBoundSeconds: number;
  /** The portal walkthrough, one step after the other: endpoint + register + deploy + grant + wait (policy) + test + traffic. */
  sequentialSeconds: number;
  /** The same with Azure's propagation as the wait. */
  sequentialAzureSeconds: number;
}

/**
 * Closed-form reference times for a mix. Registering, granting and the smoke test take no simulated
 * time (they are single synchronous ARM / scoring calls); the traffic update takes
 * `trafficUpdateSeconds`. For an existing endpoint with an old, effective grant there is neither an
 * endpoint nor a propagation wait (its grant is a day old), so both bounds are deployment + traffic.
 */
export function referenceTimes(mix: LatencyMix, waitSeconds = policyWaitSeconds()): ReferenceTimes {
  const endpoint = mix.existingEndpoint ? 0 : mix.endpointSeconds;
  const register = 0;
  const grant = 0;
  const smoke = 0;
  const traffic = mix.trafficUpdateSeconds;
  const azureWait = mix.existingEndpoint ? 0 : mix.propagationSeconds;
  const policyWait = mix.existingEndpoint ? 0 : Math.max(mix.propagationSeconds, waitSeconds);
  return {
    lowerBoundAzureSeconds: Math.max(endpoint + mix.deploymentSeconds, endpoint + grant + azureWait) + smoke + traffic,
    lowerBoundSeconds: Math.max(endpoint + mix.deploymentSeconds, endpoint + grant + policyWait) + smoke + traffic,
    sequentialSeconds: endpoint + register + mix.deploymentSeconds + grant + policyWait + smoke + traffic,
    sequentialAzureSeconds: endpoint + register + mix.deploymentSeconds + grant + azureWait + smoke + traffic,
  };
}
