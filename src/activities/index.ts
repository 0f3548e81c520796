import type { z } from "zod";
import * as io from "../contracts/activities";
import { toPipelineError } from "../errors";
import type { ActivityImplementations, ActivityInput, ActivityName, ActivityOutput } from "./catalog";
import type { ActivityDeps } from "./deps";
import { deleteDeployment, getDeploymentState, startDeployment } from "./deployment";
import { ensureEndpoint, getEndpointState } from "./endpoint";
import { analyzeDeploymentHealth } from "./health";
import { registerModel } from "./model";
import { registerCode } from "./code";
import { checkParity } from "./parity";
import { readParityInputs } from "./parityInputs";
import { describeRuntimes } from "./runtimes";
import { notify } from "./notify";
import { resolveIdentity } from "./identity";
import { grantEndpointRoles } from "./roles";
import { listEndpointDeployments } from "./deploymentList";
import { chooseDeploymentName } from "./slot";
import { smokeTest } from "./smokeTest";
import { setTraffic } from "./traffic";

export { Activities, type ActivityIO, type ActivityName } from "./catalog";
export { DEFAULT_ACTIVITY_SETTINGS, type ActivityDeps, type NotificationPublisher, type ScoringClient } from "./deps";

interface ActivityDefinition<K extends ActivityName> {
  input: z.ZodType<unknown>;
  run: (deps: ActivityDeps, input: ActivityInput<K>) => Promise<ActivityOutput<K>>;
}

const definitions: { [K in ActivityName]: ActivityDefinition<K> } = {
  ensureEndpoint: { input: io.EnsureEndpointInput, run: ensureEndpoint },
  getEndpointState: { input: io.GetEndpointStateInput, run: getEndpointState },
  resolveIdentity: { input: io.ResolveIdentityInput, run: resolveIdentity },
  grantEndpointRoles: { input: io.GrantRolesInput, run: grantEndpointRoles },
  registerModel: { input: io.RegisterModelInput, run: registerModel },
  registerCode: { input: io.RegisterCodeInput, run: registerCode },
  chooseDeploymentName: { input: io.ChooseDeploymentNameInput, run: chooseDeploymentName },
  startDeployment: { input: io.StartDeploymentInput, run: startDeployment },
  getDeploymentState: { input: io.DeploymentRef, run: getDeploymentState },
  smokeTest: { input: io.SmokeTestInput, run: smokeTest },
  setTraffic: { input: io.SetTrafficInput, run: setTraffic },
  deleteDeployment: { input: io.DeploymentRef, run: deleteDeployment },
  analyzeDeploymentHealth: { input: io.AnalyzeHealthInput, run: analyzeDeploymentHealth },
  listEndpointDeployments: { input: io.ListEndpointDeploymentsInput, run: listEndpointDeployments },
  describeRuntimes: { input: io.DescribeRuntimesInput, run: describeRuntimes },
  checkParity: { input: io.CheckParityInput, run: checkParity },
  readParityInputs: { input: io.ReadParityInputsInput, run: readParityInputs },
  notify: { input: io.NotifyInput, run: notify },
};

/**
 * Builds every activity from its injected clients. Each one validates its input (a history written
 * by an incompatible orchestrator fails loudly), runs, and turns anything thrown into a
 * PipelineError {code, retryable} for the orchestrator (which knows the stage it called from).
 */
export function createActivities(deps: ActivityDeps): ActivityImplementations {
  const entries = (Object.keys(definitions) as ActivityName[]).map((name) => [name, wrap(deps, definitions[name] as ActivityDefinition<typeof name>)]);
  return Object.fromEntries(entries) as ActivityImplementations;
}

function wrap<K extends ActivityName>(deps: ActivityDeps, def: ActivityDefinition<K>) {
  return async (rawInput: ActivityInput<K>): Promise<ActivityOutput<K>> => {
    const parsed = def.input.safeParse(rawInput);
    if (!parsed.success) {
      throw toPipelineError(new Error(`invalid activity input: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`));
    }
    try {
      return await def.run(deps, parsed.data as ActivityInput<K>);
    } catch (err) {
      throw toPipelineError(err);
    }
  };
}
