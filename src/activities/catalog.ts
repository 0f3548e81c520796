import type * as io from "../contracts/activities";
import type { DeploymentNotification } from "../contracts/notification";
import type { ErrorStage } from "../contracts/stages";

/**
 * The one list of activities: their registered names and input/output types. The orchestrator
 * imports only this module (lint-enforced), never the implementations.
 */
export const Activities = {
  ensureEndpoint: "ensureEndpoint",
  getEndpointState: "getEndpointState",
  resolveIdentity: "resolveIdentity",
  grantEndpointRoles: "grantEndpointRoles",
  registerModel: "registerModel",
  registerCode: "registerCode",
  chooseDeploymentName: "chooseDeploymentName",
  startDeployment: "startDeployment",
  getDeploymentState: "getDeploymentState",
  smokeTest: "smokeTest",
  setTraffic: "setTraffic",
  deleteDeployment: "deleteDeployment",
  analyzeDeploymentHealth: "analyzeDeploymentHealth",
  listEndpointDeployments: "listEndpointDeployments",
  describeRuntimes: "describeRuntimes",
  checkParity: "checkParity",
  readParityInputs: "readParityInputs",
  notify: "notify",
} as const;

export type ActivityName = keyof typeof Activities;

/**
 * The stages each activity serves (docs/pipeline.md, the activity table). An activity names no stage
 * of its own; the orchestrator's step that calls it does, and `callActivity` accepts only a stage
 * listed here, so a failure is always reported under a stage that owns the activity.
 */
export const ACTIVITY_STAGES = {
  ensureEndpoint: ["endpoint"],
  getEndpointState: ["endpoint", "traffic"],
  resolveIdentity: ["roles"],
  grantEndpointRoles: ["roles"],
  registerModel: ["model"],
  registerCode: ["model"],
  chooseDeploymentName: ["deployment"],
  startDeployment: ["deployment"],
  getDeploymentState: ["deployment"],
  smokeTest: ["smokeTest"],
  setTraffic: ["traffic"],
  deleteDeployment: ["deployment"],
  analyzeDeploymentHealth: ["analysis"],
  listEndpointDeployments: ["traffic"],
  describeRuntimes: ["endpoint", "traffic"],
  checkParity: ["parity"],
  readParityInputs: ["parity"],
  notify: ["notify", "approval"],
} as const satisfies { [K in ActivityName]: readonly ErrorStage[] };

export type ActivityStage<K extends ActivityName> = (typeof ACTIVITY_STAGES)[K][number];

export interface ActivityIO {
  ensureEndpoint: { input: io.EnsureEndpointInput; output: io.EnsureEndpointResult };
  getEndpointState: { input: io.GetEndpointStateInput; output: io.EndpointState };
  resolveIdentity: { input: io.ResolveIdentityInput; output: io.ResolvedIdentity };
  grantEndpointRoles: { input: io.GrantRolesInput; output: io.GrantRolesResult };
  registerModel: { input: io.RegisterModelInput; output: io.RegisteredModel };
  registerCode: { input: io.RegisterCodeInput; output: io.RegisteredModel };
  chooseDeploymentName: { input: io.ChooseDeploymentNameInput; output: io.ChosenDeploymentName };
  startDeployment: { input: io.StartDeploymentInput; output: io.StartedDeployment };
  getDeploymentState: { input: io.DeploymentRef; output: io.DeploymentState };
  smokeTest: { input: io.SmokeTestInput; output: io.SmokeTestResult };
  setTraffic: { input: io.SetTrafficInput; output: io.StartedOperation };
  deleteDeployment: { input: io.DeploymentRef; output: io.DeleteDeploymentResult };
  analyzeDeploymentHealth: { input: io.AnalyzeHealthInput; output: io.HealthVerdict };
  listEndpointDeployments: { input: io.ListEndpointDeploymentsInput; output: io.EndpointDeploymentList };
  describeRuntimes: { input: io.DescribeRuntimesInput; output: io.DeploymentRuntimes };
  checkParity: { input: io.CheckParityInput; output: io.ParityBatch };
  readParityInputs: { input: io.ReadParityInputsInput; output: io.ParityInputs };
  notify: { input: DeploymentNotification; output: io.NotifyResult };
}

export type ActivityInput<K extends ActivityName> = ActivityIO[K]["input"];
export type ActivityOutput<K extends ActivityName> = ActivityIO[K]["output"];

/** The shape `createActivities` returns: one async function per activity. */
export type ActivityImplementations = { [K in ActivityName]: (input: ActivityInput<K>) => Promise<ActivityOutput<K>> };
