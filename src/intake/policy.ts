import { parseConfig, type AppConfig } from "../config";
import type { Threshold } from "../contracts/events";
import { DEFAULT_SERVING_IMAGE, isPinned } from "../domain/promptFlowRuntime";

/**
 * What the server's own settings allow, applied at intake to every request and event. Nothing here
 * comes from a message: a request can only ask, the policy decides (DESIGN.md §6; docs/security.md).
 */
export interface IntakePolicy {
  /** Workspace resource ids (lower-case) that may be targeted; `*` = any (local stand-ins only). */
  allowedWorkspaces: readonly string[];
  /** User-assigned identity resource ids (lower-case) an endpoint may use; `*` = any (local only). */
  allowedIdentities: readonly string[];
  /** Resource ids (lower-case) `endpoint.extraRoles` may be granted on; `*` = any (local only). */
  extraRoleScopes: readonly string[];
  /**
   * Quality gates every BulkTestPassed event must meet (metric → minimum or {min?, max?}); an event's
   * own thresholds can only add or tighten. Undefined: none configured, so such events are refused.
   */
  gates: Readonly<Record<string, Threshold>> | undefined;
  /** Event Grid topics / CloudEvents sources (lower-case resource ids) BulkTestPassed may come from; `*` = any (local only). */
  allowedEventSources: readonly string[];
  /** Events older than this many minutes are refused; undefined = no age check (local default only). */
  eventMaxAgeMinutes: number | undefined;
  /** Most instances a deployment may ask for. */
  maxInstances: number;
  /** VM SKUs a deployment may use (compared ignoring case); empty = any. */
  allowedInstanceTypes: readonly string[];
  /** A run that waited longer than this for its endpoint's lock ends EndpointBusy (goes into the orchestration input). */
  lockWaitMinutes: number;
  /**
   * Who may approve or reject a deployment waiting for approval (FLOWDEPLOY_APPROVERS): principal
   * names or ids, lower-case. Empty: any caller holding the function key may.
   */
  approvers: readonly string[];
  /**
   * Whether the x-ms-client-principal-* headers name the caller: only when App Service
   * authentication set them (WEBSITE_AUTH_ENABLED), or the local stand-ins, which play that part.
   * Otherwise a caller could write them itself, and they are ignored.
   */
  trustClientPrincipal: boolean;
}

/** Events stamped further in the future than this are refused (clock skew allowance). */
export const EVENT_MAX_FUTURE_MINUTES = 5;
export const DEFAULT_EVENT_MAX_AGE_MINUTES = 1440;
export const DEFAULT_MAX_INSTANCES = 10;
export const DEFAULT_LOCK_WAIT_MINUTES = 240;

type PolicySettings = Pick<
  AppConfig,
  "servingImage" | "allowedWorkspaces" | "allowedIdentities" | "extraRoleScopes" | "gates" | "allowedEventSources" | "eventMaxAgeMinutes" | "maxInstances" | "allowedInstanceTypes" | "lockWaitMinutes" | "approvers" | "appServiceAuthentication"
>;

/**
 * The Function App's policy from its settings. `*` is honoured only by the local stand-ins: in a
 * setting it is dropped (so it allows nothing) and reported by `settingsWarnings`.
 */
export function intakePolicyFrom(config: PolicySettings): IntakePolicy {
  const explicit = (ids: readonly string[]) => ids.filter((id) => id !== "*");
  return {
    ...limitsFrom(config),
    allowedWorkspaces: explicit(config.allowedWorkspaces),
    allowedIdentities: explicit(config.allowedIdentities),
    extraRoleScopes: explicit(config.extraRoleScopes),
    allowedEventSources: explicit(config.allowedEventSources),
    gates: config.gates,
    eventMaxAgeMinutes: config.eventMaxAgeMinutes ?? DEFAULT_EVENT_MAX_AGE_MINUTES,
    approvers: config.approvers,
    trustClientPrincipal: config.appServiceAuthentication,
  };
}

/**
 * The local stand-ins accept any workspace, identity and event source, no gates and no age limit —
 * the simulator has every workspace and the samples carry fixed times — unless told otherwise. Any
 * caller may approve, and `flowdeploy serve` (loopback only, no function key) plays App Service
 * authentication: the x-ms-client-principal-* headers a caller sends name it, so approvers can be
 * tried on one machine.
 */
export const LOCAL_INTAKE_POLICY: IntakePolicy = {
  allowedWorkspaces: ["*"],
  allowedIdentities: ["*"],
  extraRoleScopes: ["*"],
  gates: {},
  allowedEventSources: ["*"],
  eventMaxAgeMinutes: undefined,
  maxInstances: DEFAULT_MAX_INSTANCES,
  allowedInstanceTypes: [],
  lockWaitMinutes: DEFAULT_LOCK_WAIT_MINUTES,
  approvers: [],
  trustClientPrincipal: true,
};

/** Limits on what a deployment may cost and how long it may wait: the same defaults locally and in Azure. */
function limitsFrom(config: Pick<PolicySettings, "maxInstances" | "allowedInstanceTypes" | "lockWaitMinutes">): Pick<IntakePolicy, "maxInstances" | "allowedInstanceTypes" | "lockWaitMinutes"> {
  return {
    maxInstances: config.maxInstances ?? DEFAULT_MAX_INSTANCES,
    allowedInstanceTypes: config.allowedInstanceTypes,
    lockWaitMinutes: config.lockWaitMinutes ?? DEFAULT_LOCK_WAIT_MINUTES,
  };
}

/**
 * `flowdeploy local` and `flowdeploy serve`: every setting the environment gives is read exactly as
 * the Function App reads it; the rest keep the local defaults, so `npm run local` works as it is.
 */
export function localIntakePolicy(env: Record<string, string | undefined>): IntakePolicy {
  const config = parseConfig(env);
  const set = (name: string) => (env[name] ?? "").trim() !== "";
  return {
    ...limitsFrom(config),
    allowedWorkspaces: set("FLOWDEPLOY_ALLOWED_WORKSPACES") ? config.allowedWorkspaces : LOCAL_INTAKE_POLICY.allowedWorkspaces,
    allowedIdentities: set("FLOWDEPLOY_ALLOWED_IDENTITIES") ? config.allowedIdentities : LOCAL_INTAKE_POLICY.allowedIdentities,
    extraRoleScopes: set("FLOWDEPLOY_EXTRA_ROLE_SCOPES") ? config.extraRoleScopes : LOCAL_INTAKE_POLICY.extraRoleScopes,
    gates: set("FLOWDEPLOY_GATES") ? config.gates : LOCAL_INTAKE_POLICY.gates,
    allowedEventSources: set("FLOWDEPLOY_ALLOWED_EVENT_SOURCES") ? config.allowedEventSources : LOCAL_INTAKE_POLICY.allowedEventSources,
    eventMaxAgeMinutes: set("FLOWDEPLOY_EVENT_MAX_AGE_MINUTES") ? config.eventMaxAgeMinutes : LOCAL_INTAKE_POLICY.eventMaxAgeMinutes,
    approvers: config.approvers,
    trustClientPrincipal: LOCAL_INTAKE_POLICY.trustClientPrincipal,
  };
}

const WORKSPACE_ID = /^\/subscriptions\/[0-9a-f-]{36}\/resourcegroups\/[^/]+\/providers\/microsoft\.machinelearningservices\/workspaces\/[^/]+$/;
const RESOURCE_ID = /^\/subscriptions\/[0-9a-f-]{36}\/resourcegroups\/[^/]+\/providers\/[^/]+\/[^/]+\/[^/]+$/;
const IDENTITY_ID = /^\/subscriptions\/[0-9a-f-]{36}\/resourcegroups\/[^/]+\/providers\/microsoft\.managedidentity\/userassignedidentities\/[^/]+$/;

/** What an operator should hear at start-up about the allow-lists (logged once by the Function App). */
export function settingsWarnings(config: PolicySettings): string[] {
  const warnings: string[] = [];
  const check = (setting: string, ids: readonly string[], shape: RegExp, what: string) => {
    for (const id of ids) {
      if (id === "*") warnings.push(`${setting}: '*' is honoured only by the local stand-ins; in the Function App it allows nothing. List ${what} resource ids.`);
      else if (!shape.test(id)) warnings.push(`${setting}: '${id}' is not a ${what} resource id; it matches nothing.`);
    }
  };
  check("FLOWDEPLOY_ALLOWED_WORKSPACES", config.allowedWorkspaces, WORKSPACE_ID, "workspace");
  check("FLOWDEPLOY_ALLOWED_IDENTITIES", config.allowedIdentities, IDENTITY_ID, "user-assigned identity");
  check("FLOWDEPLOY_EXTRA_ROLE_SCOPES", config.extraRoleScopes, RESOURCE_ID, "resource");
  const image = config.servingImage ?? DEFAULT_SERVING_IMAGE;
  if (!isPinned(image)) warnings.push(`FLOWDEPLOY_SERVING_IMAGE: ${image} is not pinned by digest, so what a deployment runs can change under it; set it to the image's @sha256 digest (docs/pipeline.md, "The serving image").`);
  if (config.gates === undefined) warnings.push("FLOWDEPLOY_GATES is not set: PromptFlow.BulkTestPassed events are refused until quality gates are configured.");
  if (config.approvers.includes("*")) warnings.push("FLOWDEPLOY_APPROVERS: '*' matches no one; list principal names or ids, or leave the setting empty to let any caller holding the function key approve.");
  if (config.approvers.length > 0 && !config.appServiceAuthentication) {
    warnings.push("FLOWDEPLOY_APPROVERS is set but App Service authentication is not enabled on this app (WEBSITE_AUTH_ENABLED): no caller can be identified, so every approve and reject is refused (403) until it is enabled (docs/security.md, \"Who may approve\").");
  }
  return warnings;
}
