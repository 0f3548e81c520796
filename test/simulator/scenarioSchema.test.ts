import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020";
import { describe, expect, it } from "vitest";
import { CODE_ONLY_RULES, parseScenario, scenarioJsonSchema } from "../../src/local/simulator/scenario";
import { runCli } from "../support/cli";
import { repoRoot } from "../support/samples";

/**
 * The scenario's JSON Schema (what an editor checks a scenario file against) and the simulator's own
 * validator must give the same answer: every scenario below is run through both. The schema is draft
 * 2020-12 (z.toJSONSchema), so it is checked with Ajv's 2020-12 validator.
 */
const ajv = new Ajv2020({ allErrors: true });
// The format z.guid() names; its `pattern` says the same, the format only has to be known.
ajv.addFormat("uuid", /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
const schemaAccepts = ajv.compile(scenarioJsonSchema());
const zodAccepts = (scenario: unknown) => parseScenario(scenario).ok;

const samples = readdirSync(join(repoRoot, "samples", "scenarios"))
  .filter((f) => f.endsWith(".json"))
  .map((f) => [f, JSON.parse(readFileSync(join(repoRoot, "samples", "scenarios", f), "utf8")) as unknown] as const);

const endpoint = (deployments: Record<string, unknown>[], extra: Record<string, unknown> = {}) => ({ existing: [{ endpoint: "web-ep", deployments, ...extra }] });

const VALID: [string, unknown][] = [
  ["empty", {}],
  ["$schema and description", { $schema: "./schemas/simulator-scenario.schema.json", description: "x" }],
  ["blue 100 / green 0", endpoint([{ name: "blue", traffic: 100 }, { name: "green" }])],
  ["traffic 60/40", endpoint([{ name: "blue", traffic: 60 }, { name: "green", traffic: 40 }])],
  ["one mirrored deployment", endpoint([{ name: "blue", traffic: 100 }, { name: "green", mirrorTraffic: 20 }])],
  ["mirrorTraffic 0 beside live traffic", endpoint([{ name: "blue", traffic: 100, mirrorTraffic: 0 }])],
  ["ARM auth modes", { existing: [{ endpoint: "a-ep", authMode: "AMLToken" }, { endpoint: "b-ep", authMode: "AADToken", publicNetworkAccess: "Disabled" }] }],
  ["user-assigned identity", endpoint([], { identity: { userAssigned: "/subscriptions/x/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id" } })],
  ["model by name:version", { models: [{ name: "m", version: 3 }], ...endpoint([{ name: "blue", traffic: 100, model: "m:3" }]) }],
  ["fault with status, code, retry and times -1", { faults: [{ op: "*", status: 429, code: "Throttled", retryAfterSeconds: 1, times: -1 }] }],
  ["fault with reset", { faults: [{ op: "score", reset: true, times: 2 }] }],
  ["provisioning fault on a deployment create", { faults: [{ op: "onlineDeployments.createOrUpdate", provisioningError: "ImagePullFailure", afterSeconds: 30 }] }],
  ["provisioning fault on an endpoint create", { faults: [{ op: "onlineEndpoints.createOrUpdate", provisioningError: "QuotaExceeded" }] }],
  ["tenant and identities", { tenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47", userAssignedIdentities: [{ id: "/x", principalId: "11111111-2222-3333-4444-555555555555" }] }],
  ["latency and polling", { latency: { endpointSeconds: 0, deploymentSeconds: 1.5 }, polling: { locationRetryAfterSeconds: 10, statusRetryAfterSeconds: null } }],
  ["caller may assign some identities", { callerAssignableIdentities: ["/a", "/b"] }],
  ["scoring behaviour and synthetic load", { scoringBehaviour: [{ deployment: "green", errorRatePercent: 20, latencyMs: 900 }, { deployment: "blue", endpoint: "web-ep" }], load: { requestsPerMinute: 60, endpoint: "web-ep" } }],
];

const INVALID: [string, unknown][] = [
  ["not an object", []],
  ["unknown top-level field", { surprise: true }],
  ["negative latency", { latency: { endpointSeconds: -1 } }],
  ["fractional Retry-After", { polling: { locationRetryAfterSeconds: 1.5 } }],
  ["endpoint name ending with a hyphen", endpoint([], { endpoint: "web-" })],
  ["flowdeploy's spelling of authMode (the scenario uses ARM's)", endpoint([], { authMode: "key" })],
  ["traffic over 100", endpoint([{ name: "blue", traffic: 101 }])],
  ["mirrorTraffic over 50", endpoint([{ name: "blue", traffic: 100 }, { name: "green", mirrorTraffic: 51 }])],
  ["live and mirrored traffic on one deployment", endpoint([{ name: "blue", traffic: 100, mirrorTraffic: 10 }])],
  ["two mirrored deployments", endpoint([{ name: "blue", traffic: 100 }, { name: "green", mirrorTraffic: 10 }, { name: "red", mirrorTraffic: 10 }])],
  ["model not name:version", endpoint([{ name: "blue", traffic: 100, model: "m" }])],
  ["unknown fault operation", { faults: [{ op: "onlineEndpoint.create", status: 500 }] }],
  ["fault with neither status, reset nor provisioningError", { faults: [{ op: "*" }] }],
  ["fault with status and reset", { faults: [{ op: "score", status: 500, reset: true }] }],
  ["fault with status and provisioningError", { faults: [{ op: "onlineDeployments.createOrUpdate", status: 500, provisioningError: "X" }] }],
  ["reset: false", { faults: [{ op: "score", reset: false }] }],
  ["code without status", { faults: [{ op: "score", reset: true, code: "X" }] }],
  ["retryAfterSeconds without status", { faults: [{ op: "onlineDeployments.createOrUpdate", provisioningError: "X", retryAfterSeconds: 5 }] }],
  ["provisioningError on an operation that provisions nothing", { faults: [{ op: "roleAssignments.create", provisioningError: "ImagePullFailure" }] }],
  ["times 0", { faults: [{ op: "*", status: 429, times: 0 }] }],
  ["times -2", { faults: [{ op: "*", status: 429, times: -2 }] }],
  ["times 1.5", { faults: [{ op: "*", status: 429, times: 1.5 }] }],
  ["status below 400", { faults: [{ op: "*", status: 302 }] }],
  ["tenantId not a GUID", { tenantId: "contoso" }],
  ["flow path not a datastore URI", { flows: [{ path: "https://example.com/flow" }] }],
  ["connection target not a resource id", { connections: [{ name: "c", target: "aoai", role: "Cognitive Services OpenAI User" }] }],
  ["callerAssignableIdentities neither '*' nor a list", { callerAssignableIdentities: "all" }],
  ["scoring behaviour without a deployment", { scoringBehaviour: [{ errorRatePercent: 20 }] }],
  ["error rate over 100", { scoringBehaviour: [{ deployment: "green", errorRatePercent: 101 }] }],
  ["negative latency", { scoringBehaviour: [{ deployment: "green", latencyMs: -1 }] }],
  ["load of 0 calls a minute", { load: { requestsPerMinute: 0 } }],
  ["fractional load", { load: { requestsPerMinute: 1.5 } }],
  ["load with an unknown field", { load: { requestsPerMinute: 10, burst: true } }],
];

/** Rules JSON Schema has no keyword for: the validator refuses these, the schema cannot, and says so in its description. */
const CODE_ONLY: [string, (typeof CODE_ONLY_RULES)[number], unknown][] = [
  ["traffic summing to 90", CODE_ONLY_RULES[0], endpoint([{ name: "blue", traffic: 60 }, { name: "green", traffic: 30 }])],
  ["a model not listed in models", CODE_ONLY_RULES[1], endpoint([{ name: "blue", traffic: 100, model: "ghost:1" }])],
  ["two endpoints named alike", CODE_ONLY_RULES[2], { existing: [{ endpoint: "web-ep" }, { endpoint: "WEB-EP" }] }],
  ["two deployments named alike", CODE_ONLY_RULES[3], endpoint([{ name: "blue", traffic: 100 }, { name: "Blue" }])],
];

describe("the scenario JSON Schema and the simulator's validator agree", () => {
  it.each([...samples, ...VALID])("both accept %s", (_label, scenario) => {
    expect(zodAccepts(scenario)).toBe(true);
    expect(schemaAccepts(scenario), JSON.stringify(schemaAccepts.errors)).toBe(true);
  });

  it.each(INVALID)("both refuse %s", (_label, scenario) => {
    expect(zodAccepts(scenario)).toBe(false);
    expect(schemaAccepts(scenario)).toBe(false);
  });

  it.each(CODE_ONLY)("only the validator can refuse %s, and the schema's description says so", (_label, rule, scenario) => {
    expect(zodAccepts(scenario)).toBe(false);
    expect(schemaAccepts(scenario)).toBe(true);
    expect(scenarioJsonSchema()["description"]).toContain(rule);
  });

  it("every code-only rule has a case above", () => {
    expect(new Set(CODE_ONLY.map(([, rule]) => rule))).toEqual(new Set(CODE_ONLY_RULES));
  });
});

describe("scenario problems in flowdeploy's words", () => {
  it.each([
    [{ faults: true }, "faults: expected an array, received a boolean"],
    [{ description: 3 }, "description: expected a string, received a number"],
    [endpoint([], { authMode: "key" }), `existing[0].authMode: use "Key" (ARM's spelling) instead of "key"`],
    [endpoint([], { publicNetworkAccess: "disabled" }), `existing[0].publicNetworkAccess: use "Disabled" (ARM's spelling) instead of "disabled"`],
    [{ faults: [{ op: "*", status: 429, times: 0 }] }, "faults[0].times: must be -1 (forever) or at least 1"],
    [{ faults: [{ op: "*", status: 1000 }] }, "faults[0].status: must be at most 599"],
    [{ faults: [{ op: "*", status: 429, code: "" }] }, "faults[0].code: must not be empty"],
    [{ models: [{ name: "m", version: { v: 1 } }] }, "models[0].version: expected a string or a number, received an object"],
    [{ faults: [{ op: "*", status: 500, surprise: 1 }] }, 'faults[0]: unknown field "surprise"'],
  ])("%j → %s", (scenario, line) => {
    const parsed = parseScenario(scenario);
    expect(parsed.ok ? [] : parsed.errors).toContain(line);
  });

  it("no message is zod's own wording", () => {
    const parsed = parseScenario({ description: 1, latency: [], faults: [{ op: "*", status: 1e9, times: "x" }], existing: [{ endpoint: "", authMode: "x", deployments: {} }] });
    const errors = parsed.ok ? [] : parsed.errors;
    expect(errors.length).toBeGreaterThan(4);
    for (const line of errors) expect(line).not.toMatch(/Invalid (input|option|string)|Too (big|small)|Unrecognized key/);
  });
});

describe("flowdeploy schema --kind scenario", () => {
  it("prints the scenario's JSON Schema, the one committed under schemas/", async () => {
    const run = await runCli(["schema", "--kind", "scenario"]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(scenarioJsonSchema());
    expect(JSON.parse(run.stdout)).toEqual(JSON.parse(readFileSync(join(repoRoot, "schemas", "simulator-scenario.schema.json"), "utf8")));
  });

  it("leaves the scenario out of the message contracts printed without --kind", async () => {
    expect(Object.keys(JSON.parse((await runCli(["schema"])).stdout))).toEqual(["request", "event", "notification"]);
  });
});
