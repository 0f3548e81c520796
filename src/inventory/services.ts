import { createActivityDeps } from "../activities/deps";
import { productionActivityEnvironment } from "../azure/productionDeps";
import { loadConfig } from "../config";
import { intakePolicyFrom } from "../intake/policy";
import type { WorkspaceTarget } from "./model";
import type { InventoryDeps } from "./reader";

/**
 * What GET /api/inventory reads with, built on first use like the app's other services
 * (src/functions/appServices.ts): in the Function App the same ARM clients as the activities
 * (DefaultAzureCredential, the app's identity) and the allow-list FLOWDEPLOY_ALLOWED_WORKSPACES;
 * `flowdeploy serve` and `local` replace them with the simulator's clients, the local allow-list and
 * the scenario's workspace (src/local/localStack.ts).
 */
export interface InventoryServices {
  deps: InventoryDeps;
  /** Workspace resource ids the app may read; `*` = any (local stand-ins only). */
  allowedWorkspaces: readonly string[];
  /** With `*`: what is read when the caller names no workspace (the local simulator's). */
  knownWorkspaces: readonly WorkspaceTarget[];
}

let services: InventoryServices | undefined;

export function inventoryServices(): InventoryServices {
  if (!services) {
    const config = loadConfig();
    const deps = createActivityDeps(productionActivityEnvironment(config));
    // `*` is dropped in the Function App (it allows nothing there), as at intake.
    services = { deps: { ml: deps.ml, clock: deps.clock }, allowedWorkspaces: intakePolicyFrom(config).allowedWorkspaces, knownWorkspaces: [] };
  }
  return services;
}

/** Replaces them: only the local stand-ins (and tests) call this. */
export function useInventoryServices(replacement: InventoryServices): void {
  services = replacement;
}
