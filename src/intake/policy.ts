import type { AppConfig } from "../config";

/**
 * What the server's own settings allow, applied at intake to every request and event. Nothing here
 * comes from a message: a request can only ask, the policy decides (DESIGN.md §6).
 */
export interface IntakePolicy {
  /** Workspace resource ids (lower-case) that may be targeted; `*` = any (local stand-ins only). */
  allowedWorkspaces: readonly string[];
  /** User-assigned identity resource ids (lower-case) an endpoint may use; `*` = any (local only). */
  allowedIdentities: readonly string[];
}

export function intakePolicyFrom(config: Pick<AppConfig, "allowedWorkspaces" | "allowedIdentities">): IntakePolicy {
  return { allowedWorkspaces: config.allowedWorkspaces, allowedIdentities: config.allowedIdentities };
}

/** The local stand-ins accept any workspace and identity unless told otherwise: the simulator has them all. */
export const LOCAL_INTAKE_POLICY: IntakePolicy = { allowedWorkspaces: ["*"], allowedIdentities: ["*"] };
