import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigSchema, parseConfig } from "../../src/config";
import { AML_RUN_COMPLETED, BULK_TEST_PASSED } from "../../src/contracts/events";
import { TRIGGERS, type Trigger } from "../../src/functions/triggers";
import { DEFAULT_EVENT_MAX_AGE_MINUTES, settingsWarnings } from "../../src/intake/policy";
import { repoRoot } from "../support/samples";
import { sampleGuid } from "./bicepEval";
import { checkBicep, formatProblem } from "./bicep";
import {
  MAIN,
  checkApiVersions,
  checkAzureYaml,
  checkModules,
  checkNoSecrets,
  checkRoleAssignmentShape,
  checkRoleScopes,
  checkRoles,
  checkSettingNames,
  checkSharedNames,
  defaultParameters,
  deployTree,
  evaluatedSettings,
  roleAssignmentFacts,
  sampleParameters,
  templateSettingNames,
  load,
  type CodeNames,
  type RequiredProperty,
  type SettingsPolicy,
} from "./templateChecks";
import { declaration, decoratorsOf, literalString, mutate, parts, readInfraSources, replaceOnce, resources, type InfraSources } from "./templateFacts";

/**
 * What `npm test` checks of infra/ without Azure or the Bicep CLI (issue 16; docs/deploy.md "What
 * `npm test` checks offline"): the templates are read through the tree-sitter parse tree
 * (test/infra/templateFacts.ts) and, where a value matters, evaluated with sample parameters
 * (test/infra/bicepEval.ts); each check is a function of the files' text (test/infra/templateChecks.ts),
 * and the last block proves each one fails on the mistake it is there for.
 */

const sources = readInfraSources();
const BACKENDS = ["scheduler", "azureStorage"] as const;

// ---- The lists the checks compare against, each entry with its reason or source.

/** Every setting the app reads: the keys of src/config.ts's schema. */
const APP_READS = Object.keys(ConfigSchema.in.shape);

/** Settings the app reads that the templates deliberately leave unset (the app's default applies). */
const LEFT_TO_DEFAULTS: Record<string, string> = {
  ServiceBusConnection: "a connection string (the local broker's, or one with a SAS key); in Azure the identity-based ServiceBusConnection__* settings are used and no key is stored",
  FLOWDEPLOY_ADOPT_ENDPOINTS: "default false: flowdeploy changes only endpoints it created; an operator opts in through additionalAppSettings",
  FLOWDEPLOY_SCORING_HOST_SUFFIXES: "default inference.ml.azure.com, the public cloud's; another cloud sets it through additionalAppSettings",
  FLOWDEPLOY_MAX_INSTANCES: "default 10; additionalAppSettings (docs/deploy.md, Parameters)",
  FLOWDEPLOY_ALLOWED_INSTANCE_TYPES: "default: any SKU; additionalAppSettings",
  FLOWDEPLOY_LOCK_WAIT_MINUTES: "default 240; additionalAppSettings",
  FLOWDEPLOY_EVENT_MAX_AGE_MINUTES: "default 1440, the Event Grid subscriptions' --event-ttl in infra/hooks/postdeploy.sh (checked below)",
  FLOWDEPLOY_ARM_ENDPOINT: "only points the app at the local ARM simulator",
  FLOWDEPLOY_ARM_CA_FILE: "only trusts the local ARM simulator's certificate",
  // MicrosoftDocs/azure-docs articles/app-service/reference-app-settings.md: "Read-only. Injected into a
  // Windows or Linux app to indicate whether App Service authentication is enabled."
  WEBSITE_AUTH_ENABLED: "set by the platform when App Service authentication is enabled, never by a template; the approvers check believes x-ms-client-principal-* headers only then",
};

/**
 * Settings the Functions host or its extensions read, not src/config.ts; anything else the templates
 * set must be a setting the app reads. Exact names, not families: FUNCTIONS_WORKER_RUNTIME,
 * FUNCTIONS_EXTENSION_VERSION and WEBSITE_RUN_FROM_PACKAGE have no place on Flex Consumption, which
 * takes them from functionAppConfig (infra/app/function-app.bicep), and an
 * AzureFunctionsJobHost__extensions__durableTask__* override is what the package's host.json replaces
 * (docs/deploy.md, "The Durable backend"); a new host setting is added here with its source.
 */
const HOST_SETTINGS: Record<string, string> = {
  // Learn, "Azure Functions developer guide" > "Connecting to host storage with an identity" (the Flex
  // quickstarts, Azure-Samples/functions-quickstart-typescript-azd, set the same).
  AzureWebJobsStorage__credential: "host storage through an identity: managedidentity",
  AzureWebJobsStorage__clientId: "host storage: which user-assigned identity",
  AzureWebJobsStorage__blobServiceUri: "host storage: blobs (keys, leases, the Flex deployment container)",
  // Learn, "Durable Functions storage providers" / "Configure identity-based connections" (Azure Storage backend).
  AzureWebJobsStorage__queueServiceUri: "the Azure Storage backend's task hub queues",
  AzureWebJobsStorage__tableServiceUri: "the Azure Storage backend's task hub tables",
  // Learn, "App settings reference for Azure Functions".
  APPLICATIONINSIGHTS_CONNECTION_STRING: "where the host sends telemetry",
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: "telemetry with Entra ID (ClientId=...;Authorization=AAD), the durable quickstart's infra/app/api.bicep",
  // host.json: extensions.durableTask.hubName is %TASKHUB_NAME% (checked below).
  TASKHUB_NAME: "the Durable task hub, read through host.json",
  // The package's host.json storageProvider.connectionStringName (infra/hooks/select-durable-backend.cjs; checked below).
  DURABLE_TASK_SCHEDULER_CONNECTION_STRING: "the Durable Task Scheduler connection (endpoint, identity client id; no secret)",
  // Learn, "Azure Service Bus trigger" > identity-based connections: <connection>__credential; the
  // trigger's connection is ServiceBusConnection (src/functions/triggers.ts). __fullyQualifiedNamespace
  // and __clientId are read by the app too (src/config.ts).
  ServiceBusConnection__credential: "the queue trigger's connection through an identity: managedidentity",
};

/** Local (key) authentication off, wherever the resource type has it. */
const LOCAL_AUTH_OFF: RequiredProperty[] = [
  { type: "Microsoft.Storage/storageAccounts", path: ["properties", "allowSharedKeyAccess"], value: false, why: "no account keys or SAS" },
  { type: "Microsoft.ServiceBus/namespaces", path: ["properties", "disableLocalAuth"], value: true, why: "no SAS keys" },
  { type: "Microsoft.EventGrid/topics", path: ["properties", "disableLocalAuth"], value: true, why: "publishers need an Entra token" },
  { type: "Microsoft.Insights/components", path: ["properties", "DisableLocalAuth"], value: true, why: "telemetry only with Entra ID" },
  { type: "Microsoft.OperationalInsights/workspaces", path: ["properties", "features", "disableLocalAuth"], value: true, why: "no shared keys" },
];

const SETTINGS_POLICY: SettingsPolicy = { appReads: APP_READS, leftToDefaults: LEFT_TO_DEFAULTS, hostSettings: HOST_SETTINGS };

const triggers = TRIGGERS as readonly Trigger[];
const selectBackend = createRequire(join(repoRoot, "package.json"))("./infra/hooks/select-durable-backend.cjs") as { SCHEDULER_PROVIDER: { connectionStringName: string }; BACKENDS: string[] };
const defaults = parseConfig({});
const CODE_NAMES: CodeNames = {
  queueName: defaults.deployQueueName,
  topicName: defaults.notificationTopicName,
  eventGridFunctions: triggers.filter((t) => t.kind === "eventGrid").map((t) => t.name),
  eventTypes: [BULK_TEST_PASSED, AML_RUN_COMPLETED],
  queueTriggers: triggers.flatMap((t) => (t.kind === "serviceBusQueue" ? [{ queueName: t.queueName, connection: t.connection }] : [])),
  schedulerConnectionSetting: selectBackend.SCHEDULER_PROVIDER.connectionStringName,
  eventMaxAgeMinutes: DEFAULT_EVENT_MAX_AGE_MINUTES,
};

const exists = (p: string) => existsSync(join(repoRoot, p));

/** A string-valued settings object, or the names of the settings whose value is not a string (ARM's appsettings are strings only). */
function asEnv(settings: Record<string, unknown>): Record<string, string> {
  const notStrings = Object.entries(settings).filter(([, v]) => typeof v !== "string");
  expect(notStrings, "app settings values must be strings").toEqual([]);
  return settings as Record<string, string>;
}

describe("app settings (infra/main.bicep → infra/app/function-app.bicep)", () => {
  it("are found: one settings resource, every name literal, and only additionalAppSettings is open-ended", async () => {
    const found = await templateSettingNames(sources);
    expect(found.problems).toEqual([]);
    expect(found.open).toEqual(["infra/main.bicep parameter additionalAppSettings"]);
    // Both durable backends' settings are found, each under its condition.
    const conditional = found.settings.filter((s) => s.conditional).map((s) => s.name);
    expect(conditional).toEqual(expect.arrayContaining(["AzureWebJobsStorage__queueServiceUri", "AzureWebJobsStorage__tableServiceUri", "DURABLE_TASK_SCHEDULER_CONNECTION_STRING", "FLOWDEPLOY_GATES", "FLOWDEPLOY_SERVING_IMAGE"]));
    expect(new Set(found.settings.map((s) => s.name)).size).toBeGreaterThanOrEqual(20);
  });

  it("(a) set every setting the app reads, or leave it to its default for a stated reason; (b) set nothing the app or the host does not read", async () => {
    expect(APP_READS.length).toBeGreaterThanOrEqual(20);
    expect(await checkSettingNames(sources, SETTINGS_POLICY)).toEqual([]);
  });

  it.each(BACKENDS.flatMap((b) => [[b, "sample values"] as const, [b, "defaults"] as const]))("(c) %s backend, %s: the evaluated settings parse with the app's own parser, without warnings", async (backend, which) => {
    const params = which === "defaults" ? defaultParameters(backend) : sampleParameters(backend);
    const env = asEnv(await evaluatedSettings(sources, params));
    const config = parseConfig(env);
    expect(config.serviceBus).toEqual({ kind: "namespace", fullyQualifiedNamespace: expect.stringMatching(/^sb-[a-z0-9]+\.servicebus\.windows\.net$/), clientId: env["AZURE_CLIENT_ID"] });
    // Every identity-based connection names the app's one identity.
    for (const key of ["AzureWebJobsStorage__clientId", "ServiceBusConnection__clientId"]) expect(env[key]).toBe(env["AZURE_CLIENT_ID"]);
    expect(env["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]).toBe(`ClientId=${env["AZURE_CLIENT_ID"]};Authorization=AAD`);
    if (which === "sample values") {
      expect(config.allowedWorkspaces).toHaveLength(2);
      expect(config.extraRoleScopes).toHaveLength(4);
      // The custom topic's own id is always an allowed source, and comes first.
      expect(config.allowedEventSources[0]).toMatch(/^\/subscriptions\/[0-9a-f-]{36}\/resourcegroups\/rg-flowdeploy-dev\/providers\/microsoft\.eventgrid\/topics\/evgt-bulktest-[a-z0-9]+$/);
      expect(config.gates).toEqual({ accuracy: 0.8, latency_p95_ms: { max: 1000 } });
      expect(config.maxInstances).toBe(4); // additionalAppSettings reaches the app
      expect(config.approvers).toEqual(["alice@contoso.com", sampleGuid("approver")]);
      // The templates do not turn App Service authentication on (it needs an Entra app registration):
      // until an operator does, the app says approvals are refused; with it on (the platform sets
      // WEBSITE_AUTH_ENABLED), nothing is left to warn about.
      expect(settingsWarnings(config)).toEqual([expect.stringMatching(/^FLOWDEPLOY_APPROVERS is set but App Service authentication is not enabled/)]);
      expect(settingsWarnings(parseConfig({ ...env, WEBSITE_AUTH_ENABLED: "True" }))).toEqual([]);
    } else {
      expect(config.allowedWorkspaces).toEqual([]);
      expect(config.approvers).toEqual([]);
      expect(config.allowedEventSources).toHaveLength(1);
      expect(config.gates).toBeUndefined();
    }
    expect("AzureWebJobsStorage__queueServiceUri" in env).toBe(backend === "azureStorage");
    expect("DURABLE_TASK_SCHEDULER_CONNECTION_STRING" in env).toBe(backend === "scheduler");
  });

  it("the backends the prepackage hook writes into host.json are main.bicep's allowed durableBackend values", async () => {
    const { files } = await load(sources);
    const param = declaration(files.get(MAIN)!, "durableBackend", ["param"])!;
    const allowed = decoratorsOf(param.node).find((d) => d.name === "allowed")!;
    const values = parts(parts(allowed.call.childForFieldName("arguments")!)[0]!).map((n) => literalString(n));
    expect(values).toEqual(selectBackend.BACKENDS);
  });
});

describe("names the code and the templates share", () => {
  it("queue, topic, Event Grid function and event types, task hub, queue trigger settings, and the outputs the hooks read", async () => {
    expect(CODE_NAMES.eventGridFunctions).toEqual(["bulkTestEvents"]);
    expect(await checkSharedNames(sources, CODE_NAMES)).toEqual([]);
  });
});

describe("roles", () => {
  it("(3) every role GUID is documented under its name, every documented GUID is assigned, the conditions are pipeline.md's", async () => {
    expect(await checkRoles(sources)).toEqual([]);
  });

  it("(6) every role assignment is named guid(scope, principal, role) and typed ServicePrincipal", async () => {
    const { files } = await load(sources);
    expect(roleAssignmentFacts(files).length).toBeGreaterThanOrEqual(15);
    expect(await checkRoleAssignmentShape(sources)).toEqual([]);
  });

  it("(8) Managed Identity Operator sits on each allowed identity, never on its resource group", async () => {
    const { files } = await load(sources);
    expect(roleAssignmentFacts(files).filter((a) => a.roles?.some((r) => r.value === "f1a07417-d97a-45cb-824c-7a7467783830"))).toHaveLength(1);
    expect(await checkRoleScopes(sources)).toEqual([]);
    const file = "infra/access/identity-operator.bicep";
    const widened = mutate(sources, file, (t) => replaceOnce(t, "  scope: identity\n", ""));
    expect(await checkRoleScopes(widened)).toEqual([expect.stringMatching(/identity-operator\.bicep:\d+: operator grants Managed Identity Operator at the deployment's scope; it must be scoped to one Microsoft\.ManagedIdentity\/userAssignedIdentities$/)]);
  });
});

describe("API versions", () => {
  it("(4) every resource declaration (existing and child ones too) pins the version infra/api-versions.json lists, and every entry there is used", async () => {
    expect(await checkApiVersions(sources)).toEqual([]);
  });
});

describe("no secrets", () => {
  it("(5) no list*() or key member, no key or SAS text, no defaulted @secure() parameter; local auth off everywhere; hooks read no key", async () => {
    expect(await checkNoSecrets(sources, LOCAL_AUTH_OFF)).toEqual([]);
    // Each rule applies to a resource the templates create.
    const { files } = await load(sources);
    const created = new Set([...files.values()].flatMap(resources).filter((r) => !r.existing).map((r) => r.type));
    for (const rule of LOCAL_AUTH_OFF) expect(created.has(rule.type), rule.type).toBe(true);
  });
});

describe("modules", () => {
  it("every module path resolves, passes only declared parameters and every required one; imports name exported types", async () => {
    expect(await checkModules(sources)).toEqual([]);
  });

  it.each(BACKENDS)("the whole module tree deploys with sample parameters (%s backend), and the outputs the hooks read have the shapes they expect", async (backend) => {
    const { instances, outputs } = await deployTree(sources, sampleParameters(backend));
    const deployed = new Set(instances.map((i) => i.file.path));
    // Every template is deployed by some path (the hub reader through the hub-based project).
    expect([...deployed].sort()).toEqual(Object.keys(sources.bicep).sort().filter((p) => backend === "scheduler" || !p.endsWith("durable-task-scheduler.bicep")));
    expect(outputs["AZURE_FUNCTION_APP_ID"]).toMatch(/^\/subscriptions\/[0-9a-f-]{36}\/resourceGroups\/rg-flowdeploy-dev\/providers\/Microsoft\.Web\/sites\/func-api-[a-z0-9]+$/);
    // postdeploy.sh splits each RunCompleted topic id on '/' and expects 9 parts.
    for (const id of String(outputs["RUN_COMPLETED_SYSTEM_TOPIC_IDS"]).split(",")) expect(id.split("/")).toHaveLength(9);
    expect(outputs["DURABLE_BACKEND"]).toBe(backend);
  });
});

describe("azure.yaml", () => {
  it("(7) the api service is a TypeScript Function App deployed from the folder scripts/package.ts builds; every hook script exists", () => {
    expect(checkAzureYaml(sources, exists)).toEqual([]);
  });
});

describe("each check fails on the mistake it is there for (mutations of in-memory copies)", () => {
  it("an identifier typo in a template", async () => {
    const broken = mutate(sources, MAIN, (t) => replaceOnce(t, "AzureWebJobsStorage__clientId: identity.outputs.clientId", "AzureWebJobsStorage__clientId: identty.outputs.clientId"));
    expect((await checkBicep(broken.bicep[MAIN]!)).map(formatProblem)).toEqual([expect.stringMatching(/^\d+:\d+ unknown name 'identty'/)]);
  });

  it("a wrong role GUID: another role's, and one the docs do not know", async () => {
    const sb = "infra/app/service-bus.bicep";
    const swapped = mutate(sources, sb, (t) => replaceOnce(t, "var serviceBusDataSender = '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'", "var serviceBusDataSender = '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0'"));
    expect(await checkRoles(swapped)).toEqual([
      expect.stringMatching(/^infra\/app\/service-bus\.bicep:\d+: serviceBusDataSender holds 4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0, which the docs call "Azure Service Bus Data Receiver"$/),
      expect.stringMatching(/Azure Service Bus Data Sender \(69a216fc-b8fb-44d8-bc22-1f3c2cd27a39\) is in the Function App's permission list but no template assigns it$/),
      expect.stringMatching(/deploy\.md: Azure Service Bus Data Sender \(69a216fc-.*\) is in the role table but no template assigns it$/),
    ]);
    const unknown = mutate(sources, sb, (t) => replaceOnce(t, "'090c5cfd-751d-490a-894a-3ce6f1109419'", "'090c5cfd-751d-490a-894a-3ce6f1109418'"));
    expect(await checkRoles(unknown)).toContainEqual(expect.stringMatching(/serviceBusDataOwner \(090c5cfd-751d-490a-894a-3ce6f1109418\) is in neither docs\/pipeline\.md's permission list nor docs\/deploy\.md's role table/));
  });

  it("a condition that drifted from pipeline.md, and an RBAC Administrator without one", async () => {
    const file = "infra/access/rbac-admin-search.bicep";
    const drifted = mutate(sources, file, (t) => replaceOnce(t, "{1407120a-92aa-4202-b7e9-c0e197c71c8f}", "{1407120a-92aa-4202-b7e9-c0e197c71c8f, 8ebe5a00-799e-43f5-93ac-243d3dce84a7}"));
    const problems = await checkRoles(drifted);
    expect(problems).toContainEqual(expect.stringMatching(/rbac-admin-search\.bicep:\d+: roleAdministrator's condition is not one of docs\/pipeline\.md's condition blocks/));
    expect(problems).toContainEqual(expect.stringMatching(/no template uses the condition block .*1407120a/));
    const unconstrained = mutate(sources, file, (t) => replaceOnce(t, "    condition: searchCondition\n    conditionVersion: '2.0'\n", ""));
    expect(await checkRoles(unconstrained)).toContainEqual(expect.stringMatching(/rbac-admin-search\.bicep:\d+: roleAdministrator grants Role Based Access Control Administrator without a condition/));
  });

  it("an app setting the app does not read (a typo), and one it reads that is no longer set", async () => {
    const typo = mutate(sources, MAIN, (t) => replaceOnce(t, "  FLOWDEPLOY_ALLOWED_WORKSPACES: join(", "  FLOWDEPLOY_ALLOWED_WORKSPACE: join("));
    expect(await checkSettingNames(typo, SETTINGS_POLICY)).toEqual([
      "FLOWDEPLOY_ALLOWED_WORKSPACES: the app reads it (src/config.ts) but the templates never set it; set it in infra/main.bicep or list it, with the reason, among the settings left to defaults",
      expect.stringMatching(/^infra\/main\.bicep:\d+: app setting FLOWDEPLOY_ALLOWED_WORKSPACE is read neither by the app/),
    ]);
    const extra = mutate(sources, "infra/app/function-app.bicep", (t) => replaceOnce(t, "  properties: appSettings\n", "  properties: union(appSettings, { FUNCTIONS_WORKER_RUNTIME: 'node' })\n"));
    expect(await checkSettingNames(extra, SETTINGS_POLICY)).toEqual([expect.stringMatching(/^infra\/app\/function-app\.bicep:\d+: app setting FUNCTIONS_WORKER_RUNTIME is read neither/)]);
  });

  it("a settings value the app refuses (evaluated and parsed)", async () => {
    const bad = mutate(sources, MAIN, (t) => replaceOnce(t, "{ FLOWDEPLOY_GATES: string(gates) }", "{ FLOWDEPLOY_GATES: 'accuracy>0.8' }"));
    const env = asEnv(await evaluatedSettings(bad, sampleParameters("scheduler")));
    expect(() => parseConfig(env)).toThrow(/FLOWDEPLOY_GATES: not valid JSON/);
  });

  it("a key in a template: listKeys(), a key member, a connection string with AccountKey=", async () => {
    const file = "infra/app/storage.bicep";
    const withKeys = mutate(sources, file, (t) => `${t}\noutput keyed string = 'DefaultEndpointsProtocol=https;AccountName=${"${storage.name}"};AccountKey=${"${listKeys(storage.id, '2024-01-01').keys[0].value}"}'\noutput key2 string = storage.listKeys().keys[0].value\n`);
    const problems = await checkNoSecrets(withKeys, LOCAL_AUTH_OFF);
    expect(problems).toContainEqual(expect.stringMatching(/storage\.bicep:\d+: listKeys\(\) reads a key or secret$/));
    expect(problems.filter((p) => p.includes("listKeys() reads"))).toHaveLength(2);
    expect(problems).toContainEqual(expect.stringMatching(/storage\.bicep:\d+: the string carries a storage account key \(AccountKey=\)$/));
    expect(problems).toContainEqual(expect.stringMatching(/storage\.bicep:\d+: \.keys is a key or key-bearing connection string$/));
  });

  it("shared-key access turned back on, a defaulted @secure() parameter", async () => {
    const on = mutate(sources, "infra/app/storage.bicep", (t) => replaceOnce(t, "    allowSharedKeyAccess: false\n", "    allowSharedKeyAccess: true\n"));
    expect(await checkNoSecrets(on, LOCAL_AUTH_OFF)).toEqual([expect.stringMatching(/storage\.bicep:\d+: storage \(Microsoft\.Storage\/storageAccounts\) must set properties\.allowSharedKeyAccess: false/)]);
    const secure = mutate(sources, "infra/app/identity.bicep", (t) => `${t}\n@secure()\nparam adminPassword string = 'hunter2'\n`);
    expect(await checkNoSecrets(secure, LOCAL_AUTH_OFF)).toEqual([expect.stringMatching(/identity\.bicep:\d+: @secure\(\) parameter adminPassword has a default value/)]);
  });

  it("a role assignment whose name leaves out its principal, or that is not typed ServicePrincipal", async () => {
    const file = "infra/app/event-grid.bicep";
    const bad = mutate(sources, file, (t) => replaceOnce(replaceOnce(t, "guid(topic.id, publisher, eventGridDataSender)", "guid(topic.id, eventGridDataSender)"), "      principalType: 'ServicePrincipal'\n", "      principalType: 'User'\n"));
    expect(await checkRoleAssignmentShape(bad)).toEqual([expect.stringMatching(/event-grid\.bicep:\d+: dataSenders has principalType User/), expect.stringMatching(/event-grid\.bicep:\d+: dataSenders's name guid\(topic\.id, eventGridDataSender\) does not include its principal publisher$/)]);
  });

  it("an api-version that is not the pinned one, and a pinned type nothing uses", async () => {
    const file = "infra/access/identity-operator.bicep";
    const bad = mutate(sources, file, (t) => replaceOnce(t, "'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing", "'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' existing"));
    expect(await checkApiVersions(bad)).toEqual([expect.stringMatching(/identity-operator\.bicep:\d+: identity 'Microsoft\.ManagedIdentity\/userAssignedIdentities@2024-11-30': infra\/api-versions\.json pins .* to 2023-01-31$/)]);
    const unused = { ...sources, apiVersions: sources.apiVersions.replace('"Microsoft.Web/sites": "2024-04-01",', '"Microsoft.Web/sites": "2024-04-01",\n  "Microsoft.Web/staticSites": "2024-04-01",') };
    expect(await checkApiVersions(unused)).toEqual(["infra/api-versions.json: Microsoft.Web/staticSites is pinned but no template declares it", "infra/api-versions.json: _sources says nothing of Microsoft.Web/staticSites"]);
  });

  it("a queue name, event type or function name that is not the code's", async () => {
    const queue = mutate(sources, MAIN, (t) => replaceOnce(t, "var deployQueueName = 'deploy-requests'", "var deployQueueName = 'deploy-request'"));
    expect(await checkSharedNames(queue, CODE_NAMES)).toContainEqual(expect.stringMatching(/^\[scheduler\] infra\/app\/service-bus\.bicep:\d+: Microsoft\.ServiceBus\/namespaces\/queues is named "deploy-request", the app's default is "deploy-requests"$/));
    const hooks = { ...sources.hooks, "infra/hooks/postdeploy.sh": sources.hooks["infra/hooks/postdeploy.sh"]!.replace('function_name="bulkTestEvents"', 'function_name="bulkTestEvent"').replace("--included-event-types PromptFlow.BulkTestPassed", "--included-event-types PromptFlow.BulkTestPased") };
    const problems = await checkSharedNames({ ...sources, hooks }, CODE_NAMES);
    expect(problems).toContainEqual(expect.stringMatching(/postdeploy\.sh:\d+: the Event Grid subscription delivers to bulkTestEvent, not to an Event Grid trigger/));
    expect(problems).toContainEqual(expect.stringMatching(/event type PromptFlow\.BulkTestPased is not one the code accepts/));
    expect(problems).toContainEqual("event type PromptFlow.BulkTestPassed: the code accepts it but no subscription delivers it");
  });

  it("a module argument the module does not declare", async () => {
    const bad = mutate(sources, MAIN, (t) => replaceOnce(t, "    queueOwnerForScaling: serviceBusQueueOwnerForScaling\n", "    queueOwnerForScale: serviceBusQueueOwnerForScaling\n"));
    expect(await checkModules(bad)).toEqual([expect.stringMatching(/main\.bicep:\d+: module serviceBus passes queueOwnerForScale, which infra\/app\/service-bus\.bicep does not declare$/), expect.stringMatching(/module serviceBus does not pass queueOwnerForScaling, which infra\/app\/service-bus\.bicep requires$/)]);
  });

  it("azure.yaml deploying another folder than scripts/package.ts builds, or naming a missing hook", () => {
    const bad: InfraSources = { ...sources, azureYaml: sources.azureYaml.replaceAll("bash ./infra/hooks/postdeploy.sh", "bash ./infra/hooks/post-deploy.sh") };
    expect(checkAzureYaml(bad, exists)).toEqual([
      "azure.yaml hooks.postdeploy.posix: ./infra/hooks/post-deploy.sh does not exist",
      "azure.yaml hooks.postdeploy.windows: ./infra/hooks/post-deploy.sh does not exist",
    ]);
    const otherFolder: InfraSources = { ...sources, azureYaml: sources.azureYaml.replace("dist: .azure-package", "dist: build") };
    expect(checkAzureYaml(otherFolder, exists)).toEqual([
      'azure.yaml: services.api.dist is "build", expected ".azure-package"',
      "azure.yaml services.api.hooks.prepackage.posix: rewrites .azure-package/host.json, but the deployed folder is build",
      "azure.yaml services.api.hooks.prepackage.windows: rewrites .azure-package/host.json, but the deployed folder is build",
    ]);
  });
});
