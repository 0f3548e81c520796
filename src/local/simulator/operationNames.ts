/**
 * Operation names as the SDKs spell them: operation group + method of `AzureMachineLearningWorkspaces`,
 * `AuthorizationManagementClient`, `ManagedServiceIdentityClient` and `MonitorClient` (the `begin*` prefix dropped). They name requests in the
 * request log and select requests in scenario faults.
 */
export const ARM_OPERATIONS = [
  "workspaces.get",
  "onlineEndpoints.list",
  "onlineEndpoints.get",
  "onlineEndpoints.createOrUpdate",
  "onlineEndpoints.update",
  "onlineEndpoints.delete",
  "onlineEndpoints.listKeys",
  "onlineEndpoints.getToken",
  "onlineEndpoints.regenerateKeys",
  "onlineDeployments.list",
  "onlineDeployments.get",
  "onlineDeployments.createOrUpdate",
  "onlineDeployments.delete",
  "onlineDeployments.getLogs",
  "modelContainers.list",
  "modelContainers.get",
  "modelContainers.createOrUpdate",
  "modelVersions.list",
  "modelVersions.get",
  "modelVersions.createOrUpdate",
  "codeContainers.list",
  "codeContainers.get",
  "codeContainers.createOrUpdate",
  "codeVersions.list",
  "codeVersions.get",
  "codeVersions.createOrUpdate",
  "environmentVersions.get",
  "datastores.get",
  "environmentVersions.createOrUpdate",
  "roleAssignments.listForScope",
  "roleAssignments.get",
  "roleAssignments.create",
  "roleAssignments.delete",
  "roleDefinitions.list",
  "roleDefinitions.get",
  /** `ManagedServiceIdentityClient.userAssignedIdentities.get` (@azure/arm-msi). */
  "userAssignedIdentities.get",
  /** Azure Monitor `Metrics – List` on an online endpoint or deployment (`@azure/arm-monitor` `metrics.list`). */
  "metrics.list",
  /** GET on an `Azure-AsyncOperation` URL (`.../mfeOperationsStatus/...`): the SDK's LRO poll. */
  "operationStatus.get",
  /** GET on a `Location` URL (`.../mfeOperationResults/...`): the poll after DELETE/PATCH. */
  "operationResults.get",
] as const;

export type ArmOperation = (typeof ARM_OPERATIONS)[number];

/** Data-plane operations of every endpoint's scoring URI. */
export const SCORING_OPERATIONS = ["score", "swagger"] as const;

export type ScoringOperation = (typeof SCORING_OPERATIONS)[number];

/**
 * Azure Blob Storage data-plane operations of the workspaces' storage accounts, as `BlobClient` names
 * them: `download` (Get Blob) and `getProperties` (Get Blob Properties). Not ARM: `*` does not select them.
 */
export const STORAGE_OPERATIONS = ["blobs.download", "blobs.getProperties"] as const;

export type StorageOperation = (typeof STORAGE_OPERATIONS)[number];

export type OperationName = ArmOperation | ScoringOperation | StorageOperation;

const GROUPS = [...new Set(ARM_OPERATIONS.map((op) => op.split(".")[0] ?? op))];

/** What a fault's `op` may name: an operation, `group.*`, `*` (every ARM call), `score` or a blob operation. */
export const FAULT_OPERATION_SELECTORS: readonly [string, ...string[]] = [
  "*",
  ...GROUPS.map((g) => `${g}.*`),
  ...ARM_OPERATIONS,
  ...SCORING_OPERATIONS,
  ...STORAGE_OPERATIONS,
];

/** The operations whose long-running operation can end in a provisioning error. */
export const PROVISIONING_OPERATIONS = ["onlineEndpoints.createOrUpdate", "onlineDeployments.createOrUpdate"] as const;

export function isArmOperation(op: string): op is ArmOperation {
  return (ARM_OPERATIONS as readonly string[]).includes(op);
}

/** Whether a fault selector (`*`, `group.*` or an exact name) selects `operation`. */
export function selectorMatches(selector: string, operation: string): boolean {
  if (selector === operation) return true;
  if (selector === "*") return isArmOperation(operation);
  if (selector.endsWith(".*")) return operation.startsWith(selector.slice(0, -1)) && isArmOperation(operation);
  return false;
}
