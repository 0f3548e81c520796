/**
 * What a request deploys — its target — and what each kind needs from Azure: the roles its endpoint
 * identity gets, and how long to wait for them to take effect.
 *
 * - `flow`: a prompt flow folder, registered as a model and served by the prompt flow runtime image.
 * - `model`: a registered (prompt flow) model, served the same way.
 * - `agent`: a Microsoft Agent Framework workflow as code (init()/run() scoring script), registered as
 *   a code asset and deployed with a code configuration (docs/agents.md).
 */
export const TARGET_KINDS = ["flow", "model", "agent"] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

export interface PropagationRule {
  /** The wait when the request gives none. */
  defaultMinutes: number;
  /** The least a request may ask for. */
  minimumMinutes: number;
  /** Why the minimum: what Azure documents. */
  why: string;
}

/**
 * Prompt flow: "It might take more than 15 minutes for the granted permission to take effect" (prompt
 * flow deployment how-to): at least 15 minutes, 16 by default for a minute of margin.
 *
 * Agent: the endpoint identity calls the AI Services account and Key Vault with Entra ID tokens; Azure
 * RBAC documents that role assignment changes can take "up to 10 minutes" to take effect (Azure RBAC
 * troubleshooting, "Symptom - Role assignment changes are not being detected"): at least 10, 11 by default.
 */
export const TARGET_PROPAGATION: Record<TargetKind, PropagationRule> = {
  flow: { defaultMinutes: 16, minimumMinutes: 15, why: "role assignments can take more than 15 minutes to take effect for prompt flow deployments" },
  model: { defaultMinutes: 16, minimumMinutes: 15, why: "role assignments can take more than 15 minutes to take effect for prompt flow deployments" },
  agent: { defaultMinutes: 11, minimumMinutes: 10, why: "role assignments can take up to 10 minutes to take effect" },
};

/** The kind of a (valid) request's target. */
export function targetKindOf(target: { flow?: unknown; model?: unknown; agent?: unknown }): TargetKind {
  if (target.agent !== undefined) return "agent";
  return target.model !== undefined ? "model" : "flow";
}

/** The propagation wait of a request: its own, or its target's default. */
export function propagationMinutesOf(request: { flow?: unknown; model?: unknown; agent?: unknown; propagationMinutes?: number | undefined }): number {
  return request.propagationMinutes ?? TARGET_PROPAGATION[targetKindOf(request)].defaultMinutes;
}
