import { describe, expect, it } from "vitest";
import { formatIssues, parseDeployRequest } from "../../src/contracts";
import { deploy } from "../support/localRun";
import { sampleRequest } from "../support/samples";

/**
 * Threat: request fields reach the serving container or ARM URLs: loader/proxy/identity variables,
 * flow folders anywhere on the internet or in another workspace, path tricks in resource ids.
 * Defence: the contract refuses them, naming the field. docs/security.md, rows X1-X3.
 */
const problems = (edit: (r: Record<string, any>) => void): string[] => {
  const r = sampleRequest();
  edit(r);
  const parsed = parseDeployRequest(r);
  return parsed.ok ? [] : formatIssues(parsed.issues);
};

describe("X1: environment variables that change what runs or who it is", () => {
  it.each(["LD_PRELOAD", "DYLD_INSERT_LIBRARIES", "PYTHONPATH", "PYTHONSTARTUP", "NODE_OPTIONS", "HTTPS_PROXY", "http_proxy", "NO_PROXY", "IDENTITY_ENDPOINT", "MSI_ENDPOINT", "IMDS_ENDPOINT", "AZURE_TENANT_ID", "AZUREML_MODEL_DIR", "AML_APP_ROOT", "PRT_CONFIG_OVERRIDE", "PATH", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "azure_client_id"])(
    "refuses %s, naming it",
    (name) => {
      const lines = problems((r) => (r.deployment.environmentVariables = { [name]: "x" }));
      expect(lines).toEqual([expect.stringMatching(new RegExp(`^deployment\\.environmentVariables\\.${name}: ${name} (is refused|is set by flowdeploy)`))]);
    },
  );

  it("keeps the flow's own settings", () => {
    expect(problems((r) => (r.deployment.environmentVariables = { PROMPTFLOW_RESPONSE_INCLUDED_FIELDS: '["category"]', MY_FEATURE_FLAG: "on", OPENAI_API_VERSION: "2024-10-21" }))).toEqual([]);
  });

  it("a refused variable never reaches Azure: the queued request is Rejected before any call", async () => {
    const request = sampleRequest();
    request.deployment.environmentVariables = { LD_PRELOAD: "/tmp/evil.so" };
    const run = await deploy({ request });
    expect(run.notification).toMatchObject({ outcome: "Rejected", error: { code: "InvalidRequest", message: expect.stringContaining("deployment.environmentVariables.LD_PRELOAD") } });
    expect(run.requests).toHaveLength(0);
  });
});

describe("X2: the flow folder is in a datastore of the target workspace", () => {
  it.each([
    ["https://attacker.example/flow.zip", "expected a flow folder URI"],
    ["azureml://datastores/workspaceblobstore/paths/../../other/flow", "expected a flow folder URI"],
    ["azureml://datastores/workspaceblobstore/paths/flows%2F..%2Fother", "expected a flow folder URI"],
    ["azureml://datastores/workspaceblobstore/paths/flows/x?sv=token", "expected a flow folder URI"],
    ["azureml://subscriptions/99999999-1111-2222-3333-444444444444/resourcegroups/rg-promptflow/workspaces/ws-promptflow/datastores/workspaceblobstore/paths/f", "names another workspace"],
  ])("refuses %s", (path, says) => {
    expect(problems((r) => (r.flow.path = path))).toEqual([expect.stringContaining(`flow.path: ${says}`)]);
  });

  it("through the queue: a flow from https:// is Rejected before any Azure call", async () => {
    const request = sampleRequest();
    request.flow.path = "https://attacker.example/flow.zip";
    const run = await deploy({ request });
    expect(run.notification).toMatchObject({ outcome: "Rejected", error: { code: "InvalidRequest", message: expect.stringContaining("flow.path: expected a flow folder URI") } });
    expect(run.requests).toHaveLength(0);
  });

  it("accepts the short form and the long form naming the target workspace", () => {
    expect(problems((r) => (r.flow.path = "azureml://datastores/workspaceblobstore/paths/LocalUpload/3f2a/web-classification/"))).toEqual([]);
    expect(problems((r) => (r.flow.path = "azureml://subscriptions/00000000-1111-2222-3333-444444444444/resourcegroups/rg-promptflow/workspaces/ws-promptflow/datastores/workspaceblobstore/paths/flows/web"))).toEqual([]);
  });
});

describe("X3: identity resource ids are strict ARM ids", () => {
  const base = "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-promptflow/providers/Microsoft.ManagedIdentity/userAssignedIdentities/";
  it.each([`${base}ep%2F..`, `${base}ep?api-version=1`, `${base}ep#x`, `${base}..`, `${base}ep\u202Egnp`, `${base}ep\n`, "/subscriptions/not-a-guid/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ep-id"])("refuses %j", (resourceId) => {
    expect(problems((r) => (r.endpoint.identity = { type: "UserAssigned", resourceId }))).toEqual([expect.stringContaining("endpoint.identity.resourceId: expected /subscriptions/<subscription GUID>")]);
  });
});
