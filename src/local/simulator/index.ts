/**
 * The local stand-in for the Azure ML + RBAC control plane and the scoring endpoints (DESIGN §4).
 * See docs/simulator.md.
 */
export { startSimulator, type Simulator, type SimulatorOptions } from "./simulator";
export {
  ScenarioSchema,
  FaultSchema,
  parseScenario,
  parseFault,
  loadScenarioFile,
  scenarioJsonSchema,
  formatIssues,
  type Scenario,
  type ScenarioInput,
  type Fault,
  type FaultInput,
  type ParseResult,
} from "./scenario";
export { ARM_OPERATIONS, SCORING_OPERATIONS, FAULT_OPERATION_SELECTORS, type ArmOperation, type OperationName } from "./operationNames";
export { DEFAULT_LATENCY, DEFAULT_POLLING, type LatencyConfig, type PollingConfig } from "./stateStore";
export { DEFAULT_WORKSPACE, DEFAULT_TENANT_ID } from "./seed";
export { formatRequestLine, countByOperation, type RequestLogEntry } from "./requestLog";
export type { SimulatorStateView, EndpointStateView, DeploymentStateView, RoleAssignmentStateView, OperationStateView } from "./stateView";
export {
  BUILTIN_ROLES,
  CONNECTION_SECRETS_READER_ROLE_ID,
  ACR_PULL_ROLE_ID,
  STORAGE_BLOB_DATA_READER_ROLE_ID,
  METRICS_WRITER_ROLE_ID,
  DATA_SCIENTIST_ROLE_ID,
} from "./builtinRoles";
export { ACCESS_DENIED_MESSAGE } from "./scoring";
export { containerRegistryId, storageAccountId } from "./workspaces";
export { workspaceId, type WorkspaceRef } from "./ids";
