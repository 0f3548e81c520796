import { describe, expect, it } from "vitest";
import { diagnosisFrom } from "../../src/activities/deployment";
import { DeployRequest } from "../../src/contracts/deployRequest";
import { missingPackages, packageName } from "../../src/local/simulator/flowPackages";
import { deploy } from "../support/localRun";
import { sampleRequest } from "../support/samples";

/**
 * Issue 13 item 2: a flow folder with requirements.txt runs only on an environment built FROM the
 * prompt flow runtime image that installs them (prompt flow deploy-to-code how-to). On the bare image
 * the serving app cannot import the flow's tools and the container crashes (ResourceNotReady).
 */
const FLOW = "azureml://datastores/workspaceblobstore/paths/promptflow/web-classification";
const WS = "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-promptflow/providers/Microsoft.MachineLearningServices/workspaces/ws-promptflow";
const flows = [{ path: FLOW, requirements: ["langchain==0.2.1", "beautifulsoup4>=4.12 # parsing", "# comment"] }];
const builtEnv = { name: "web-classification-env", version: "3", packages: ["langchain", "beautifulsoup4", "requests"] };
const existingBlue = [{ endpoint: "web-classify", deployments: [{ name: "blue", traffic: 100 }] }];

function withEnvironment(environment: string) {
  const request = sampleRequest();
  request.deployment.environment = environment;
  return request;
}

describe("flows with their own packages", () => {
  it("on the bare runtime image the deployment fails with the import error and what to do; live traffic untouched", async () => {
    const run = await deploy({ scenario: { flows, existing: existingBlue } });
    expect(run.notification.outcome).toBe("Failed");
    expect(run.notification.error).toMatchObject({ stage: "deployment", code: "ResourceNotReady" });
    expect(run.notification.error!.message).toContain("ModuleNotFoundError: No module named 'langchain'");
    expect(run.notification.error!.message).toContain("deployment.environment");
    expect(run.state.endpoints[0]!.traffic).toEqual({ blue: 100 });
    // onFailure "delete": the failed deployment is deleted.
    expect(run.counts["onlineDeployments.delete"]).toBe(1);
  });

  it.each([
    ["azureml:web-classification-env:3"],
    [`${WS}/environments/web-classification-env/versions/3`],
  ])("deploys on the environment the request names (%s)", async (environment) => {
    const run = await deploy({ request: withEnvironment(environment), scenario: { flows, environments: [builtEnv] } });
    expect(run.notification).toMatchObject({ outcome: "Succeeded", traffic: { green: 100 } });
    // The named environment was used as is: flowdeploy registered no serving environment of its own.
    expect(run.counts["environmentVersions.createOrUpdate"]).toBeUndefined();
    expect(run.counts["environmentVersions.get"]).toBe(1);
  });

  it("an environment that lacks one of the packages fails like the bare image", async () => {
    const run = await deploy({ request: withEnvironment("azureml:web-classification-env:3"), scenario: { flows, environments: [{ ...builtEnv, packages: ["langchain"] }] } });
    expect(run.notification.error).toMatchObject({ stage: "deployment", code: "ResourceNotReady" });
    expect(run.notification.error!.message).toContain("No module named 'beautifulsoup4'");
  });

  it("an environment that does not exist fails at once, naming the field", async () => {
    const run = await deploy({ request: withEnvironment("azureml:nope:1"), scenario: { flows } });
    expect(run.notification.error).toMatchObject({ stage: "deployment", code: "EnvironmentNotFound" });
    expect(run.notification.error!.message).toContain("deployment.environment");
    expect(run.counts["onlineDeployments.createOrUpdate"]).toBeUndefined();
  });

  it("an environment without inference routes is refused before the deployment PUT", async () => {
    const run = await deploy({ request: withEnvironment("azureml:web-classification-env:3"), scenario: { flows, environments: [{ ...builtEnv, inferenceRoutes: false }] } });
    expect(run.notification.error).toMatchObject({ stage: "deployment", code: "EnvironmentInvalid" });
    expect(run.counts["onlineDeployments.createOrUpdate"]).toBeUndefined();
  });

  it("a flow without requirements still runs on the bare image", async () => {
    const run = await deploy({ scenario: { flows: [{ path: FLOW, requirements: [] }] } });
    expect(run.notification.outcome).toBe("Succeeded");
  });
});

describe("deployment.environment in the contract", () => {
  const parse = (environment: unknown) => DeployRequest.safeParse({ ...sampleRequest(), deployment: { ...sampleRequest().deployment, environment } });
  it("accepts azureml:<name>:<version> and the target workspace's ARM id", () => {
    expect(parse("azureml:env:1").success).toBe(true);
    expect(parse(`${WS}/environments/env/versions/1`).success).toBe(true);
  });
  it.each([
    ["another workspace", `${WS.replace("ws-promptflow", "other-ws")}/environments/env/versions/1`, "names another workspace"],
    ["a registry", "azureml://registries/azureml/environments/x/versions/1", "expected azureml:<name>:<version>"],
    ["no version", "azureml:env", "expected azureml:<name>:<version>"],
  ])("refuses %s, naming deployment.environment", (_label, value, message) => {
    const result = parse(value);
    expect(result.success).toBe(false);
    const issue = result.error!.issues.find((i) => i.path.join(".") === "deployment.environment");
    expect(issue?.message).toContain(message);
  });
});

describe("requirement names and the diagnosis", () => {
  it("reads distribution names as pip does (case, separators, specifiers, comments)", () => {
    expect(["LangChain==0.2", "beautifulsoup4 >= 4", "typing_extensions", "-r other.txt", "# x"].map(packageName)).toEqual(["langchain", "beautifulsoup4", "typing-extensions", undefined, undefined]);
    expect(missingPackages(["Typing.Extensions", "numpy"], ["typing_extensions"])).toEqual(["numpy"]);
  });
  it("quotes the last error line, masks secret-shaped text, and says nothing when there is no error", () => {
    expect(diagnosisFrom("2026-01-01T00:00:00Z boot\n2026-01-01T00:00:01Z ValueError: key aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bad")).toBe("ValueError: key *** bad");
    expect(diagnosisFrom("all good")).toBeNull();
    expect(diagnosisFrom(null)).toBeNull();
  });
});
