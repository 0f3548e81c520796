import ts from "typescript";
import type { Node } from "web-tree-sitter";
import { parse as parseYaml } from "yaml";
import { Project, sampleGuid, type DeployContext, type Instance, type Runtime, type Value } from "./bicepEval";
import {
  GUID,
  declaration,
  declarations,
  decoratorsOf,
  descendants,
  entries,
  imports,
  literalString,
  modules,
  normalizeSpace,
  paramDefault,
  paramOptional,
  parseBicepFiles,
  parts,
  property,
  resources,
  staticStrings,
  stringPieces,
  valueOf,
  where,
  type BicepFile,
  type InfraSources,
  type ResourceDecl,
  type Sources,
  type StaticString,
} from "./templateFacts";

/**
 * The offline checks of the infrastructure (issue 16): each takes the files' text (InfraSources) and
 * returns its findings, one line each, `path:line: what is wrong`; an empty list passes. The lists a
 * check compares against (settings the app reads, host settings, required properties) are arguments,
 * kept with their reasons in test/infra/templates.test.ts.
 */

export const MAIN = "infra/main.bicep";

// ---- Sample deployment

export const SAMPLE_TENANT = "72f988bf-0000-4000-8000-00000000c0de";
export const SAMPLE_SUBSCRIPTION = "11111111-2222-3333-4444-555555555555";
/** The targets' subscription: another one, as the templates allow. */
export const SAMPLE_TARGET_SUBSCRIPTION = "66666666-7777-4888-9999-000000000000";
export const SAMPLE_LOCATION = "swedencentral";

const targetId = (rg: string, type: string, name: string) => `/subscriptions/${SAMPLE_TARGET_SUBSCRIPTION}/resourceGroups/${rg}/providers/${type}/${name}`;

/** main.bicep parameters as an operator would set them (docs/deploy.md, "From a clone to a deployed pipeline"). */
export function sampleParameters(durableBackend: "scheduler" | "azureStorage"): Record<string, Value> {
  const workspace = targetId("rg-promptflow", "Microsoft.MachineLearningServices/workspaces", "ws-promptflow");
  // A Foundry hub-based project (sampleRuntime gives a workspace named proj-* a hub).
  const project = targetId("rg-foundry", "Microsoft.MachineLearningServices/workspaces", "proj-promptflow");
  return {
    environmentName: "flowdeploy-dev",
    location: SAMPLE_LOCATION,
    durableBackend,
    allowedWorkspaceIds: [workspace, project],
    allowedIdentityIds: [targetId("rg-promptflow", "Microsoft.ManagedIdentity/userAssignedIdentities", "id-web-classify")],
    extraRoleScopes: [
      targetId("rg-ai", "Microsoft.CognitiveServices/accounts", "aoai-promptflow"),
      targetId("rg-ai", "Microsoft.Search/searchServices", "srch-promptflow"),
      targetId("rg-ai", "Microsoft.Storage/storageAccounts", "stpromptflowdocs"),
      targetId("rg-ai", "Microsoft.KeyVault/vaults", "kv-agents"),
    ],
    allowedEventSources: [targetId("rg-ci", "Microsoft.EventGrid/topics", "evgt-ci")],
    eventPublisherPrincipalIds: [sampleGuid("publisher")],
    runCompletedSources: [{ workspaceId: workspace }],
    notificationSubscriptions: [{ name: "flowdeploy-cli" }, { name: "teams-failures", sqlFilter: "outcome = 'Failed'" }],
    approvers: ["Alice@contoso.com", sampleGuid("approver")],
    gates: { accuracy: 0.8, latency_p95_ms: { max: 1000 } },
    servingImage: `mcr.microsoft.com/azureml/promptflow/promptflow-runtime@sha256:${"0123456789abcdef".repeat(4)}`,
    additionalAppSettings: { FLOWDEPLOY_MAX_INSTANCES: "4" },
  };
}

/** The same with every optional parameter left at its default. */
export function defaultParameters(durableBackend: "scheduler" | "azureStorage"): Record<string, Value> {
  return { environmentName: "flowdeploy-dev", location: SAMPLE_LOCATION, durableBackend };
}

export const SAMPLE_CONTEXT: DeployContext = { tenantId: SAMPLE_TENANT, subscriptionId: SAMPLE_SUBSCRIPTION, resourceGroup: undefined, location: SAMPLE_LOCATION };

/** What Azure fills in at deployment, in the shapes its REST API documents (values made up). */
export const sampleRuntime: Runtime = (type, name, ctx): { [key: string]: Value } => {
  const loc = ctx.location;
  switch (type) {
    case "Microsoft.ManagedIdentity/userAssignedIdentities":
      return { properties: { clientId: sampleGuid("clientId", name), principalId: sampleGuid("principalId", name), tenantId: ctx.tenantId } };
    case "Microsoft.Storage/storageAccounts": {
      const ep = (service: string) => `https://${name}.${service}.core.windows.net/`;
      return { properties: { primaryEndpoints: { blob: ep("blob"), queue: ep("queue"), table: ep("table"), file: ep("file"), dfs: ep("dfs") } } };
    }
    case "Microsoft.Insights/components":
      return {
        properties: {
          ConnectionString: `InstrumentationKey=${sampleGuid("ikey", name)};IngestionEndpoint=https://${loc}-0.in.applicationinsights.azure.com/;LiveEndpoint=https://${loc}.livediagnostics.monitor.azure.com/;ApplicationId=${sampleGuid("appId", name)}`,
        },
      };
    case "Microsoft.ServiceBus/namespaces":
      return { properties: { serviceBusEndpoint: `https://${name}.servicebus.windows.net:443/` } };
    case "Microsoft.DurableTask/schedulers":
      return { properties: { endpoint: `https://${name}-${sampleHashShort(name)}.${loc}.durabletask.io` } };
    case "Microsoft.DurableTask/schedulers/taskHubs":
      return { properties: { dashboardUrl: `https://dashboard.durabletask.io/subscriptions/${ctx.subscriptionId}/schedulers/x/taskhubs/${name}` } };
    case "Microsoft.EventGrid/topics":
      return { properties: { endpoint: `https://${name}.${loc}-1.eventgrid.azure.net/api/events` } };
    case "Microsoft.Web/sites":
      return { properties: { defaultHostName: `${name}.azurewebsites.net` } };
    case "Microsoft.MachineLearningServices/workspaces": {
      const rg = `/subscriptions/${ctx.subscriptionId}/resourceGroups/${ctx.resourceGroup}/providers`;
      // A project's registry and storage are its hub's (workspaces API: properties.hubResourceId).
      if (name.startsWith("proj-")) return { location: loc, properties: { hubResourceId: `${rg}/Microsoft.MachineLearningServices/workspaces/hub-${name.slice(5)}` } };
      return {
        location: loc,
        properties: {
          containerRegistry: `${rg}/Microsoft.ContainerRegistry/registries/cr${name.replace(/[^a-z0-9]/gi, "")}`,
          storageAccount: `${rg}/Microsoft.Storage/storageAccounts/st${name.replace(/[^a-z0-9]/gi, "").slice(0, 20)}`,
        },
      };
    }
  }
  return {};
};

const sampleHashShort = (s: string) => sampleGuid(s).slice(0, 4);

// ---- Loading

export interface Loaded {
  files: ReadonlyMap<string, BicepFile>;
  project: Project;
}

export async function load(sources: InfraSources, runtime: Runtime = sampleRuntime): Promise<Loaded> {
  const files = await parseBicepFiles(sources.bicep);
  return { files, project: new Project(files, runtime) };
}

const allResources = (files: ReadonlyMap<string, BicepFile>) => [...files.values()].flatMap(resources);

/** The module declarations (in any file) that deploy `path`. */
const callersOf = (files: ReadonlyMap<string, BicepFile>, path: string) => [...files.values()].flatMap((f) => modules(f).filter((m) => m.target === path));

/** Files reachable from `from` through module declarations (itself included). */
function reachable(files: ReadonlyMap<string, BicepFile>, from: string): Set<string> {
  const seen = new Set<string>();
  const visit = (path: string) => {
    if (seen.has(path) || !files.has(path)) return;
    seen.add(path);
    for (const m of modules(files.get(path)!)) visit(m.target);
  };
  visit(from);
  return seen;
}

/** Every deployment of `target` the root deployment makes (following only the modules that lead there). */
export function instancesOf(root: Instance, target: string): Instance[] {
  const files = root.project.files;
  const found: Instance[] = [];
  const visit = (inst: Instance) => {
    if (inst.file.path === target) found.push(inst);
    for (const m of modules(inst.file)) if (reachable(files, m.target).has(target)) for (const child of inst.moduleInstances(m)) visit(child);
  };
  visit(root);
  return found;
}

/** Every deployment in the tree below `root` (itself included). */
export function allInstances(root: Instance): Instance[] {
  const found: Instance[] = [];
  const visit = (inst: Instance) => {
    found.push(inst);
    for (const m of modules(inst.file)) for (const child of inst.moduleInstances(m)) visit(child);
  };
  visit(root);
  return found;
}

// ---- 1. App settings

export interface SettingsSink {
  file: BicepFile;
  /** The `properties` of a sites/config 'appsettings' resource (an object), or a site's siteConfig.appSettings (an array of {name, value}). */
  node: Node;
  form: "object" | "array";
  resource: ResourceDecl;
}

/** Where the templates give the Function App its settings. */
export function settingsSinks(files: ReadonlyMap<string, BicepFile>): SettingsSink[] {
  const sinks: SettingsSink[] = [];
  for (const r of allResources(files)) {
    if (r.existing || !r.body) continue;
    if (r.type === "Microsoft.Web/sites/config" && literalString(property(r.body, ["name"])) === "appsettings") {
      const node = property(r.body, ["properties"]);
      if (node) sinks.push({ file: r.file, node, form: "object", resource: r });
    }
    if (r.type === "Microsoft.Web/sites") {
      const node = property(r.body, ["properties", "siteConfig", "appSettings"]);
      if (node) sinks.push({ file: r.file, node, form: "array", resource: r });
    }
  }
  return sinks;
}

export interface SettingName {
  name: string;
  /** path:line of the key. */
  at: string;
  /** Set only under a condition (a ternary branch, a conditional module). */
  conditional: boolean;
}

export interface TemplateSettings {
  settings: SettingName[];
  /** Objects the operator supplies whole (a main.bicep parameter merged into the settings). */
  open: string[];
  /** What could not be followed. */
  problems: string[];
}

/**
 * The names of the app settings the templates set, read from the parse trees without evaluating:
 * from the settings resource's value through variables, `union(...)`, both branches of a ternary, and
 * a module parameter into the argument its caller passes.
 */
export async function templateSettingNames(sources: InfraSources): Promise<TemplateSettings> {
  const { files } = await load(sources);
  const out: TemplateSettings = { settings: [], open: [], problems: [] };
  const sinks = settingsSinks(files);
  if (sinks.length === 0) out.problems.push("no Microsoft.Web/sites/config 'appsettings' resource or siteConfig.appSettings found");
  const seen = new Set<string>();
  const walk = (file: BicepFile, node: Node, conditional: boolean, form: "object" | "array"): void => {
    const key = `${file.path}:${node.id}:${conditional}`;
    if (seen.has(key)) return;
    seen.add(key);
    const add = (name: string | undefined, at: Node) => {
      if (name === undefined) out.problems.push(`${where(file, at)}: a setting name must be literal`);
      else out.settings.push({ name, at: where(file, at), conditional });
    };
    switch (node.type) {
      case "object":
        if (form === "object") for (const e of entries(node)) add(e.key, e.keyNode);
        else add(literalString(property(node, ["name"])), node);
        return;
      case "array":
        for (const item of parts(node)) walk(file, item, conditional, form);
        return;
      case "parenthesized_expression":
        return walk(file, parts(node)[0]!, conditional, form);
      case "ternary_expression":
        walk(file, node.childForFieldName("consequence")!, true, form);
        walk(file, node.childForFieldName("alternative")!, true, form);
        return;
      case "call_expression": {
        const fn = node.childForFieldName("function")!.text;
        if (fn === "union" || fn === "concat") {
          for (const arg of parts(node.childForFieldName("arguments")!)) walk(file, arg, conditional, form);
          return;
        }
        break;
      }
      case "identifier": {
        const decl = declaration(file, node.text);
        if (decl?.kind === "var") return walk(file, valueOf(decl.node), conditional, form);
        if (decl?.kind === "param") {
          const callers = callersOf(files, file.path);
          if (callers.length === 0) {
            out.open.push(`${file.path} parameter ${decl.name}`);
            const fallback = paramDefault(decl.node);
            if (fallback) walk(file, fallback, conditional, form);
            return;
          }
          for (const caller of callers) {
            const arg = property(caller.body, ["params", decl.name]);
            const fallback = paramDefault(decl.node);
            if (arg) walk(caller.file, arg, conditional || caller.condition !== undefined || caller.loop !== undefined, form);
            else if (fallback) walk(file, fallback, conditional, form);
          }
          return;
        }
        break;
      }
    }
    out.problems.push(`${where(file, node)}: cannot tell which settings ${JSON.stringify(node.text.slice(0, 80))} sets`);
  };
  for (const sink of sinks) walk(sink.file, sink.node, sink.resource.condition !== undefined, sink.form);
  return out;
}

/** The settings a deployment with these main.bicep parameters gives the Function App, evaluated. */
export async function evaluatedSettings(sources: InfraSources, params: Record<string, Value>): Promise<Record<string, Value>> {
  const { files, project } = await load(sources);
  const root = project.root(MAIN, params, SAMPLE_CONTEXT);
  const result: Record<string, Value> = {};
  for (const sink of settingsSinks(files)) {
    for (const inst of instancesOf(root, sink.file.path)) {
      const value = inst.eval(sink.node);
      if (sink.form === "object") {
        if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error(`${where(sink.file, sink.node)}: the settings are not an object`);
        Object.assign(result, value);
      } else {
        if (!Array.isArray(value)) throw new Error(`${where(sink.file, sink.node)}: siteConfig.appSettings is not an array`);
        for (const item of value) {
          const { name, value: v } = item as { name: string; value: Value };
          result[name] = v;
        }
      }
    }
  }
  return result;
}

export interface SettingsPolicy {
  /** Every setting the app reads (src/config.ts ConfigSchema). */
  appReads: readonly string[];
  /** Settings the app reads that the templates leave to the app's default, with the reason. */
  leftToDefaults: Readonly<Record<string, string>>;
  /** Settings the Functions host or an SDK reads (not the app's code), with their source. */
  hostSettings: Readonly<Record<string, string>>;
}

/**
 * (a) every setting the app reads is set by the templates or deliberately left to its default;
 * (b) every setting the templates set is read by the app or is a known host setting: a typo such as
 * FLOWDEPLOY_ALLOWED_WORKSPACE fails here.
 */
export async function checkSettingNames(sources: InfraSources, policy: SettingsPolicy): Promise<string[]> {
  const found = await templateSettingNames(sources);
  const problems = [...found.problems];
  const set = new Map<string, SettingName>();
  for (const s of found.settings) if (!set.has(s.name)) set.set(s.name, s);
  const reads = new Set(policy.appReads);
  for (const name of policy.appReads) {
    if (!set.has(name) && !(name in policy.leftToDefaults)) problems.push(`${name}: the app reads it (src/config.ts) but the templates never set it; set it in infra/main.bicep or list it, with the reason, among the settings left to defaults`);
  }
  for (const [name, reason] of Object.entries(policy.leftToDefaults)) {
    if (!reads.has(name)) problems.push(`${name}: listed as left to its default (${reason}) but the app does not read it`);
    const s = set.get(name);
    if (s) problems.push(`${s.at}: ${name} is set by the templates but listed as left to its default`);
  }
  for (const s of set.values()) {
    if (!reads.has(s.name) && !(s.name in policy.hostSettings)) problems.push(`${s.at}: app setting ${s.name} is read neither by the app (src/config.ts) nor by the Functions host (known host settings)`);
  }
  return problems;
}

// ---- 2. Names the code and the templates share

export interface EventSubscriptionFact {
  /** path:line */
  at: string;
  functionName: string | undefined;
  endpointType: string | undefined;
  eventTypes: string[];
  /** Event time-to-live in minutes, when set. */
  ttlMinutes: number | undefined;
}

/** Expands $name and ${name} with the script's own plain assignments (name="..."); others are left as written. */
function shellExpand(script: string, value: string): string {
  const assigned = new Map<string, string>();
  for (const m of script.matchAll(/^\s*([A-Za-z_]\w*)="([^"$`]*(?:\$\{?\w+\}?[^"$`]*)*)"/gm)) assigned.set(m[1]!, m[2]!);
  let out = value;
  for (let i = 0; i < 10; i++) {
    const next = out.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, a: string | undefined, b: string | undefined) => assigned.get((a ?? b)!) ?? whole);
    if (next === out) break;
    out = next;
  }
  return out;
}

/** `az eventgrid [system-topic] event-subscription create` commands of the hook scripts. */
export function hookEventSubscriptions(hooks: Sources): EventSubscriptionFact[] {
  const facts: EventSubscriptionFact[] = [];
  for (const [path, script] of Object.entries(hooks)) {
    if (!path.endsWith(".sh")) continue;
    const lines = script.split("\n");
    for (let i = 0; i < lines.length; i++) {
      if (!/\baz eventgrid\b.*\bevent-subscription create\b/.test(lines[i]!)) continue;
      let command = "";
      for (let j = i; j < lines.length; j++) {
        command += ` ${lines[j]!.replace(/\\$/, "")}`;
        if (!lines[j]!.trimEnd().endsWith("\\")) break;
      }
      const tokens = [...command.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
      const values = (flag: string) => {
        const at = tokens.indexOf(flag);
        if (at < 0) return [];
        const out: string[] = [];
        for (let k = at + 1; k < tokens.length && !tokens[k]!.startsWith("--"); k++) out.push(tokens[k]!);
        return out;
      };
      const endpoint = values("--endpoint")[0];
      const fn = endpoint ? /\/functions\/([^/]+)$/.exec(shellExpand(script, endpoint))?.[1] : undefined;
      const ttl = values("--event-ttl")[0];
      facts.push({ at: `${path}:${i + 1}`, functionName: fn, endpointType: values("--endpoint-type")[0]?.toLowerCase(), eventTypes: values("--included-event-types"), ttlMinutes: ttl === undefined ? undefined : Number(ttl) });
    }
  }
  return facts;
}

/** Event subscriptions declared in the templates (Microsoft.EventGrid/**\/eventSubscriptions): their function and event types. */
export function templateEventSubscriptions(files: ReadonlyMap<string, BicepFile>): EventSubscriptionFact[] {
  return allResources(files)
    .filter((r) => /^Microsoft\.EventGrid\/(.+\/)?eventSubscriptions$/i.test(r.type) && !r.existing)
    .map((r) => {
      const destination = property(r.body, ["properties", "destination"], true);
      const id = property(destination, ["properties", "resourceId"], true);
      const pieces = id?.type === "string" ? stringPieces(id) : [];
      const tail = pieces[pieces.length - 1];
      const fn = typeof tail === "string" ? /\/functions\/([^/]+)$/.exec(tail)?.[1] : undefined;
      const types = property(r.body, ["properties", "filter", "includedEventTypes"], true);
      const ttl = property(r.body, ["properties", "retryPolicy", "eventTimeToLiveInMinutes"], true);
      return {
        ttlMinutes: ttl?.type === "number" ? Number(ttl.text) : undefined,
        at: where(r.file, r.node),
        functionName: fn,
        endpointType: literalString(property(destination, ["endpointType"], true))?.toLowerCase(),
        eventTypes: types?.type === "array" ? parts(types).map((t) => literalString(t) ?? t.text) : [],
      };
    });
}

export interface CodeNames {
  /** The app's default queue and topic names (parseConfig({})). */
  queueName: string;
  topicName: string;
  /** Event Grid trigger function names (src/functions/triggers.ts). */
  eventGridFunctions: readonly string[];
  /** Event types the code accepts (src/contracts/events.ts). */
  eventTypes: readonly string[];
  /** `%SETTING%` names the triggers read (queueName) and their connections. */
  queueTriggers: readonly { queueName: string; connection: string }[];
  /** The storage provider connection setting the package's host.json names for the scheduler backend (infra/hooks/select-durable-backend.cjs). */
  schedulerConnectionSetting: string;
  /** Events older than this are refused at intake by default (src/intake/policy.ts): an Event Grid time-to-live longer than it only delivers refusals. */
  eventMaxAgeMinutes: number;
}

/**
 * The queue and topic the templates create carry the app's names, and the settings name them; Event
 * Grid delivers to the Event Grid trigger, only event types the code accepts; the task hub setting
 * host.json reads is set, and equals the scheduler's task hub; the queue trigger's settings are set.
 */
export async function checkSharedNames(sources: InfraSources, code: CodeNames): Promise<string[]> {
  const problems: string[] = [];
  const { files, project } = await load(sources);

  for (const backend of ["scheduler", "azureStorage"] as const) {
    const params = sampleParameters(backend);
    const root = project.root(MAIN, params, SAMPLE_CONTEXT);
    const settings = await evaluatedSettings(sources, params);
    const named = (type: string) =>
      allResources(files)
        .filter((r) => r.type === type && !r.existing && !r.loop)
        .flatMap((r) => instancesOf(root, r.file.path).map((inst) => ({ r, name: inst.eval(property(r.body, ["name"])!) })));
    const check = (type: string, expected: string, setting: string) => {
      const found = named(type);
      if (found.length === 0) problems.push(`[${backend}] no ${type} is deployed`);
      for (const { r, name } of found) if (name !== expected) problems.push(`[${backend}] ${where(r.file, r.node)}: ${type} is named ${JSON.stringify(name)}, the app's default is ${JSON.stringify(expected)}`);
      if (settings[setting] !== undefined && found.some(({ name }) => name !== settings[setting])) problems.push(`[${backend}] ${setting} is ${JSON.stringify(settings[setting])}, not the deployed ${type} name`);
    };
    check("Microsoft.ServiceBus/namespaces/queues", code.queueName, "DEPLOY_QUEUE_NAME");
    check("Microsoft.ServiceBus/namespaces/topics", code.topicName, "NOTIFICATION_TOPIC_NAME");

    for (const trigger of code.queueTriggers) {
      const setting = /^%(.+)%$/.exec(trigger.queueName)?.[1];
      if (setting && settings[setting] === undefined) problems.push(`[${backend}] the queue trigger reads %${setting}% but the templates do not set ${setting}`);
      if (settings[trigger.connection] === undefined && settings[`${trigger.connection}__fullyQualifiedNamespace`] === undefined) problems.push(`[${backend}] the queue trigger's connection ${trigger.connection} has neither ${trigger.connection} nor ${trigger.connection}__fullyQualifiedNamespace`);
    }

    // host.json reads the task hub name from a setting; the scheduler's task hub must carry that name.
    const hubSetting = /^%(.+)%$/.exec(String((JSON.parse(sources.hostJson) as { extensions?: { durableTask?: { hubName?: string } } }).extensions?.durableTask?.hubName ?? ""))?.[1];
    if (!hubSetting) problems.push("host.json: extensions.durableTask.hubName is not a %SETTING% reference");
    else {
      const hub = settings[hubSetting];
      if (typeof hub !== "string") problems.push(`[${backend}] host.json reads %${hubSetting}% but the templates do not set ${hubSetting}`);
      // Azure Storage task hubs: 3-45 letters and digits, starting with a letter; the scheduler's: ^[a-zA-Z0-9-]{3,64}$.
      else if (!/^[A-Za-z][A-Za-z0-9]{2,44}$/.test(hub)) problems.push(`[${backend}] ${hubSetting} ${JSON.stringify(hub)} is not a valid task hub name for both backends`);
      for (const { r, name } of named("Microsoft.DurableTask/schedulers/taskHubs")) if (name !== hub) problems.push(`[${backend}] ${where(r.file, r.node)}: the task hub is named ${JSON.stringify(name)} but ${hubSetting} is ${JSON.stringify(hub)}`);
    }
    const schedulerSetting = settings[code.schedulerConnectionSetting];
    if (backend === "scheduler") {
      if (typeof schedulerSetting !== "string") problems.push(`[scheduler] ${code.schedulerConnectionSetting} (the connection host.json's azureManaged provider names) is not set`);
      else if (!/^Endpoint=https:\/\/[^;]+;Authentication=ManagedIdentity;ClientID=[0-9a-f-]{36}$/.test(schedulerSetting)) problems.push(`[scheduler] ${code.schedulerConnectionSetting} is not an identity-based scheduler connection: ${schedulerSetting}`);
    } else if (schedulerSetting !== undefined) problems.push(`[azureStorage] ${code.schedulerConnectionSetting} is set though the backend is Azure Storage`);
  }

  const subscriptions = [...templateEventSubscriptions(files), ...hookEventSubscriptions(sources.hooks)];
  if (subscriptions.length === 0) problems.push("no Event Grid subscription found in the templates or the hooks");
  const subscribed = new Set<string>();
  for (const s of subscriptions) {
    if (!s.functionName || !code.eventGridFunctions.includes(s.functionName)) problems.push(`${s.at}: the Event Grid subscription delivers to ${s.functionName ?? "an unknown endpoint"}, not to an Event Grid trigger (${code.eventGridFunctions.join(", ")})`);
    if (s.endpointType !== "azurefunction") problems.push(`${s.at}: endpoint type ${s.endpointType ?? "(none)"}, expected azurefunction (no function key)`);
    if (s.eventTypes.length === 0) problems.push(`${s.at}: no event type filter`);
    if (s.ttlMinutes !== undefined && s.ttlMinutes !== code.eventMaxAgeMinutes) problems.push(`${s.at}: event time-to-live ${s.ttlMinutes} minutes, but the app refuses events older than ${code.eventMaxAgeMinutes} by default`);
    for (const t of s.eventTypes) {
      subscribed.add(t);
      if (!code.eventTypes.includes(t)) problems.push(`${s.at}: event type ${t} is not one the code accepts (${code.eventTypes.join(", ")})`);
    }
  }
  for (const t of code.eventTypes) if (!subscribed.has(t)) problems.push(`event type ${t}: the code accepts it but no subscription delivers it`);

  // The hooks read main.bicep's outputs from the azd environment: each must be one.
  const outputs = new Set(declarations(files.get(MAIN)!).filter((d) => d.kind === "output").map((d) => d.name));
  for (const [path, script] of Object.entries(sources.hooks)) {
    const read = path.endsWith(".sh") ? [...script.matchAll(/\$\{([A-Z][A-Z0-9_]*)[:}]/g)].map((m) => m[1]!) : [...script.matchAll(/\benv\.([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!);
    for (const name of new Set(read)) if (!outputs.has(name)) problems.push(`${path}: reads ${name}, which is not an output of ${MAIN}`);
  }
  return problems;
}

// ---- 3. Role GUIDs against the docs; 6. role assignment shape

export interface RoleAssignmentFact {
  file: BicepFile;
  node: Node;
  at: string;
  symbol: string;
  /** The role definition id expression (last argument of subscriptionResourceId('Microsoft.Authorization/roleDefinitions', …)). */
  roleExpr: Node | undefined;
  /** The GUIDs it can stand for, each with the variable holding it. */
  roles: StaticString[] | undefined;
  condition: string | undefined;
  conditionNode: Node | undefined;
  conditionVersion: string | undefined;
  principalExpr: Node | undefined;
  principalType: string | undefined;
  nameExpr: Node | undefined;
  scopeExpr: Node | undefined;
}

export function roleAssignmentFacts(files: ReadonlyMap<string, BicepFile>): RoleAssignmentFact[] {
  return allResources(files)
    .filter((r) => r.type === "Microsoft.Authorization/roleAssignments" && !r.existing)
    .map((r) => {
      const props = property(r.body, ["properties"]);
      const roleDef = property(props, ["roleDefinitionId"]);
      let roleExpr: Node | undefined;
      if (roleDef?.type === "call_expression" && roleDef.childForFieldName("function")?.text === "subscriptionResourceId") {
        const args = parts(roleDef.childForFieldName("arguments")!);
        if (args.length === 2 && literalString(args[0]) === "Microsoft.Authorization/roleDefinitions") roleExpr = args[1];
      }
      const conditionNode = property(props, ["condition"]);
      const condition = conditionNode ? staticStrings(r.file, conditionNode) : undefined;
      return {
        file: r.file,
        node: r.node,
        at: where(r.file, r.node),
        symbol: r.symbol,
        roleExpr,
        roles: roleExpr ? staticStrings(r.file, roleExpr) : undefined,
        condition: condition?.length === 1 ? condition[0]!.value : undefined,
        conditionNode,
        conditionVersion: literalString(property(props, ["conditionVersion"])),
        principalExpr: property(props, ["principalId"]),
        principalType: literalString(property(props, ["principalType"])),
        nameExpr: property(r.body, ["name"]),
        scopeExpr: property(r.body, ["scope"]),
      };
    });
}

/** (6) Each assignment is named guid(scope, principal, role) and typed ServicePrincipal. */
export async function checkRoleAssignmentShape(sources: InfraSources): Promise<string[]> {
  const { files } = await load(sources);
  const problems: string[] = [];
  const squash = (n: Node) => n.text.replace(/\s+/g, "");
  for (const a of roleAssignmentFacts(files)) {
    if (a.principalType !== "ServicePrincipal") problems.push(`${a.at}: ${a.symbol} has principalType ${a.principalType ?? "(none)"}, expected 'ServicePrincipal'`);
    if (!a.roleExpr) problems.push(`${a.at}: ${a.symbol}'s roleDefinitionId is not subscriptionResourceId('Microsoft.Authorization/roleDefinitions', <role id>)`);
    if (!a.principalExpr) problems.push(`${a.at}: ${a.symbol} has no principalId`);
    const name = a.nameExpr;
    if (name?.type !== "call_expression" || name.childForFieldName("function")?.text !== "guid") {
      problems.push(`${a.at}: ${a.symbol} is not named guid(scope, principal, role)`);
      continue;
    }
    const args = parts(name.childForFieldName("arguments")!).map(squash);
    const targetScope = literalString(descendants(a.file.root, (n) => n.type === "target_scope_assignment")[0]?.namedChildren.find((c) => c.type === "string")) ?? "resourceGroup";
    const scope = a.scopeExpr ? `${squash(a.scopeExpr)}.id` : `${targetScope}().id`;
    const want: [string, string | undefined][] = [
      ["scope", scope],
      ["principal", a.principalExpr && squash(a.principalExpr)],
      ["role", a.roleExpr && squash(a.roleExpr)],
    ];
    for (const [what, text] of want) if (text && !args.includes(text)) problems.push(`${a.at}: ${a.symbol}'s name guid(${args.join(", ")}) does not include its ${what} ${text}`);
  }
  return problems;
}

/**
 * Roles that must sit on one resource of a given type, never wider: Managed Identity Operator only on
 * each allowed user-assigned identity (issue 13 item 1; docs/pipeline.md "Permissions of the Function
 * App itself"): at resource-group scope it would let the app attach any identity in the group.
 */
export const ROLE_SCOPE_TYPES: Readonly<Record<string, { role: string; type: string }>> = {
  "f1a07417-d97a-45cb-824c-7a7467783830": { role: "Managed Identity Operator", type: "Microsoft.ManagedIdentity/userAssignedIdentities" },
};

/** (8) Each role of ROLE_SCOPE_TYPES is assigned with `scope:` a resource of its type declared beside it. */
export async function checkRoleScopes(sources: InfraSources): Promise<string[]> {
  const { files } = await load(sources);
  const problems: string[] = [];
  for (const a of roleAssignmentFacts(files)) {
    for (const guid of (a.roles ?? []).map((r) => r.value.toLowerCase())) {
      const rule = ROLE_SCOPE_TYPES[guid];
      if (!rule) continue;
      const scope = a.scopeExpr?.text.trim();
      const target = scope ? resources(a.file).find((r) => r.symbol === scope) : undefined;
      if (!target) problems.push(`${a.at}: ${a.symbol} grants ${rule.role} at ${scope ? `'${scope}'` : "the deployment's scope"}; it must be scoped to one ${rule.type}`);
      else if (target.type.toLowerCase() !== rule.type.toLowerCase()) problems.push(`${a.at}: ${a.symbol} grants ${rule.role} on ${target.symbol} (${target.type}); it must be scoped to one ${rule.type}`);
    }
  }
  return problems;
}

/** Role name → GUID pairs written `Name (\`guid\`)` or `**Name** (\`guid\`)`. */
export function documentedRoles(markdown: string): { name: string; guid: string }[] {
  return [...markdown.matchAll(/(?:\*\*)?([A-Z][A-Za-z]*(?: [A-Z][A-Za-z]*)*)(?:\*\*)? \(`([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})`\)/g)].map((m) => ({ name: m[1]!, guid: m[2]!.toLowerCase() }));
}

/** A markdown section: from the heading line to the next heading of the same or a higher level. */
export function section(markdown: string, heading: string): string {
  const lines = markdown.split("\n");
  const start = lines.findIndex((l) => /^#+ /.test(l) && l.replace(/^#+ /, "").trim() === heading);
  if (start < 0) throw new Error(`no section "${heading}"`);
  const level = /^#+/.exec(lines[start]!)![0].length;
  const end = lines.findIndex((l, i) => i > start && /^#+ /.test(l) && /^#+/.exec(l)![0].length <= level);
  return lines.slice(start, end < 0 ? undefined : end).join("\n");
}

/** Fenced code blocks of a markdown text, and the text outside them. */
export function fences(markdown: string): { blocks: string[]; prose: string } {
  const blocks: string[] = [];
  const prose = markdown.replace(/^[ \t]*```[^\n]*\n([\s\S]*?)^[ \t]*```[ \t]*$/gm, (_m, body: string) => {
    blocks.push(body);
    return "";
  });
  return { blocks, prose };
}

export const PIPELINE_PERMISSIONS = "Permissions of the Function App itself";
export const DEPLOY_ROLES = "The roles, and why each is the narrowest";
export const RBAC_ADMINISTRATOR = "Role Based Access Control Administrator";

/** Abbreviations a role variable may use for words of the role's name. */
const ROLE_ABBREVIATIONS: Record<string, string> = { rbac: "rolebasedaccesscontrol" };

/** A variable named after a role: `storageBlobDataOwner` ~ "Storage Blob Data Owner", `serviceBusDataReceiver` ~ "Azure Service Bus Data Receiver", `rbacAdministrator` ~ "Role Based Access Control Administrator". */
export function namesRole(variable: string, roleName: string): boolean {
  let v = variable.toLowerCase();
  for (const [short, long] of Object.entries(ROLE_ABBREVIATIONS)) if (v.startsWith(short)) v = long + v.slice(short.length);
  const d = roleName.toLowerCase().replace(/[^a-z0-9]/g, "");
  return v === d || v === d.replace(/^azure/, "");
}

/**
 * (3) Every role the templates assign is documented (docs/pipeline.md's permission list or
 * docs/deploy.md's role table) under the name of the variable that holds it; every GUID in
 * pipeline.md's permission list (outside its condition blocks) and in deploy.md's table is assigned;
 * the two documents name each GUID alike; every condition equals one of pipeline.md's condition
 * blocks (whitespace aside), every block is used, and only (and always) on the RBAC Administrator.
 */
export async function checkRoles(sources: InfraSources): Promise<string[]> {
  const { files } = await load(sources);
  const problems: string[] = [];
  const pipeline = fences(section(sources.pipelineDoc, PIPELINE_PERMISSIONS));
  const deployTable = section(sources.deployDoc, DEPLOY_ROLES);
  const pipelineRoles = documentedRoles(pipeline.prose);
  const deployRoles = documentedRoles(deployTable);
  const docName = new Map<string, string>();
  for (const { name, guid } of [...pipelineRoles, ...deployRoles]) {
    const known = docName.get(guid);
    if (known && known !== name) problems.push(`docs: ${guid} is "${known}" in one place and "${name}" in another`);
    docName.set(guid, name);
  }
  const rbacAdmin = [...docName].find(([, name]) => name === RBAC_ADMINISTRATOR)?.[0];
  if (!rbacAdmin) problems.push(`docs: ${RBAC_ADMINISTRATOR} has no GUID`);

  const assignments = roleAssignmentFacts(files);
  const assigned = new Set<string>();
  const accounted = new Set<number>();
  for (const a of assignments) {
    if (!a.roles) {
      problems.push(`${a.at}: ${a.symbol}'s role is not a literal GUID (through variables) the check can read`);
      continue;
    }
    for (const role of a.roles) {
      accounted.add(role.node.id);
      const guid = role.value.toLowerCase();
      assigned.add(guid);
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(guid)) {
        problems.push(`${where(a.file, role.node)}: role id ${role.value} is not a GUID`);
        continue;
      }
      const name = docName.get(guid);
      if (!name) problems.push(`${where(a.file, role.node)}: role ${role.variable ?? role.value} (${guid}) is in neither docs/pipeline.md's permission list nor docs/deploy.md's role table`);
      else if (!role.variable) problems.push(`${where(a.file, role.node)}: role ${guid} (${name}) should be held in a variable named after the role`);
      else if (!namesRole(role.variable, name)) problems.push(`${where(a.file, role.node)}: ${role.variable} holds ${guid}, which the docs call "${name}"`);
    }
    if (a.conditionNode) {
      accounted.add(a.conditionNode.id);
      for (const s of staticStrings(a.file, a.conditionNode) ?? []) accounted.add(s.node.id);
    }
    const isAdmin = a.roles.some((r) => r.value.toLowerCase() === rbacAdmin);
    if (isAdmin && !a.conditionNode) problems.push(`${a.at}: ${a.symbol} grants ${RBAC_ADMINISTRATOR} without a condition`);
    if (a.conditionNode && !isAdmin) problems.push(`${a.at}: ${a.symbol} has a condition but does not grant ${RBAC_ADMINISTRATOR}`);
    if (a.conditionNode && a.conditionVersion !== "2.0") problems.push(`${a.at}: ${a.symbol} has conditionVersion ${a.conditionVersion ?? "(none)"}, expected '2.0'`);
  }

  for (const { name, guid } of pipelineRoles) if (!assigned.has(guid)) problems.push(`docs/pipeline.md: ${name} (${guid}) is in the Function App's permission list but no template assigns it`);
  for (const { name, guid } of deployRoles) if (!assigned.has(guid)) problems.push(`docs/deploy.md: ${name} (${guid}) is in the role table but no template assigns it`);

  // Conditions: equal to pipeline.md's blocks, whitespace aside.
  const blocks = pipeline.blocks.map(normalizeSpace);
  const used = new Set<number>();
  for (const a of assignments) {
    if (!a.conditionNode) continue;
    if (a.condition === undefined) {
      problems.push(`${a.at}: ${a.symbol}'s condition is not one literal string`);
      continue;
    }
    const at = blocks.indexOf(normalizeSpace(a.condition));
    if (at < 0) problems.push(`${a.at}: ${a.symbol}'s condition is not one of docs/pipeline.md's condition blocks: ${normalizeSpace(a.condition)}`);
    else used.add(at);
  }
  blocks.forEach((b, i) => {
    if (!used.has(i)) problems.push(`docs/pipeline.md: no template uses the condition block ${b.slice(0, 200)}`);
  });

  // A GUID literal that is neither an assigned role nor inside a condition is a role nobody assigns.
  for (const file of files.values()) {
    for (const s of descendants(file.root, (n) => n.type === "string")) {
      if (accounted.has(s.id) || !stringPieces(s).some((p) => typeof p === "string" && new RegExp(GUID.source, "i").test(p))) continue;
      if (s.parent?.type === "arguments" && s.parent.parent?.parent?.type === "decorator") continue; // @description('...')
      problems.push(`${where(file, s)}: GUID literal ${s.text} is not a role any assignment uses`);
    }
  }
  return problems;
}

// ---- 4. API versions

export async function checkApiVersions(sources: InfraSources): Promise<string[]> {
  const { files } = await load(sources);
  const problems: string[] = [];
  const json = JSON.parse(sources.apiVersions) as Record<string, unknown>;
  const pinned = Object.fromEntries(Object.entries(json).filter(([k]) => !k.startsWith("_"))) as Record<string, string>;
  const used = new Set<string>();
  for (const r of allResources(files)) {
    const at = `${where(r.file, r.node)}: ${r.symbol} '${r.type}@${r.apiVersion ?? "?"}'`;
    used.add(r.type);
    if (!r.apiVersion) problems.push(`${at} has no api-version`);
    else if (/preview/i.test(r.apiVersion)) problems.push(`${at} is a preview version`);
    if (!(r.type in pinned)) problems.push(`${at}: ${r.type} is not in infra/api-versions.json`);
    else if (r.apiVersion && pinned[r.type] !== r.apiVersion) problems.push(`${at}: infra/api-versions.json pins ${r.type} to ${pinned[r.type]}`);
  }
  for (const type of Object.keys(pinned)) if (!used.has(type)) problems.push(`infra/api-versions.json: ${type} is pinned but no template declares it`);
  const sourcesNote = json["_sources"] as Record<string, unknown> | undefined;
  if (!sourcesNote) problems.push("infra/api-versions.json: no _sources");
  else {
    for (const type of Object.keys(pinned)) if (typeof sourcesNote[type] !== "string") problems.push(`infra/api-versions.json: _sources says nothing of ${type}`);
    for (const key of Object.keys(sourcesNote)) if (!key.startsWith("_") && !(key in pinned)) problems.push(`infra/api-versions.json: _sources names ${key}, which is not pinned`);
  }
  return problems;
}

// ---- 5. No secrets

export interface RequiredProperty {
  type: string;
  path: readonly string[];
  value: boolean | string;
  why: string;
}

/** Text that carries a key or SAS, in a template string or a hook script. */
const SECRET_TEXT: [RegExp, string][] = [
  [/AccountKey\s*=/i, "a storage account key (AccountKey=)"],
  [/SharedAccessKey(Name)?\s*=/i, "a shared access key (SharedAccessKey=)"],
  [/SharedAccessSignature/i, "a shared access signature"],
  [/(^|[?&;\s])sig=/i, "a SAS token (sig=)"],
];

/** Hook scripts: commands that read keys or key-bearing connection strings. */
const SECRET_COMMANDS: [RegExp, string][] = [
  [/\blist-?keys\b/i, "lists keys"],
  [/\bkeys\s+list\b/, "lists keys"],
  [/\bkeys\s+renew\b/, "renews keys"],
  [/connection-string/i, "reads a connection string"],
  [/generate-sas\b/i, "generates a SAS"],
  ...SECRET_TEXT,
];

/** Properties of a resource that hold a key or a key-bearing connection string (primaryKey, keys[0], ...). */
const SECRET_MEMBERS = /^(keys|(primary|secondary)(Key|MasterKey|ConnectionString|ReadonlyMasterKey)|accessKey|sasToken)$/i;

/**
 * (5) No key, key-bearing connection string or SAS anywhere: no list*() call (listKeys,
 * listConnectionStrings, listAccountSas, ...), no getSecret(), no member named like a key, no string
 * with AccountKey=, SharedAccessKey=, a SAS signature; no @secure() parameter with a default; local
 * (key) auth off on every resource type that has it (`required`); and the hook scripts read no key.
 */
export async function checkNoSecrets(sources: InfraSources, required: readonly RequiredProperty[]): Promise<string[]> {
  const { files } = await load(sources);
  const problems: string[] = [];
  for (const file of files.values()) {
    for (const call of descendants(file.root, (n) => n.type === "call_expression")) {
      const fn = call.childForFieldName("function")!;
      const name = fn.type === "member_expression" ? fn.childForFieldName("property")!.text : fn.text;
      if (/^list/i.test(name) || name === "getSecret") problems.push(`${where(file, call)}: ${name}() reads a key or secret`);
    }
    for (const member of descendants(file.root, (n) => n.type === "member_expression")) {
      const prop = member.childForFieldName("property")?.text ?? "";
      if (SECRET_MEMBERS.test(prop)) problems.push(`${where(file, member)}: .${prop} is a key or key-bearing connection string`);
    }
    for (const s of descendants(file.root, (n) => n.type === "string")) {
      const text = stringPieces(s)
        .map((p) => (typeof p === "string" ? p : "${…}"))
        .join("");
      for (const [pattern, what] of SECRET_TEXT) if (pattern.test(text)) problems.push(`${where(file, s)}: the string carries ${what}`);
    }
    for (const d of declarations(file)) {
      if (d.kind !== "param") continue;
      if (decoratorsOf(d.node).some((x) => x.name === "secure") && paramDefault(d.node)) problems.push(`${where(file, d.node)}: @secure() parameter ${d.name} has a default value`);
    }
  }
  for (const r of allResources(files)) {
    if (r.existing) continue;
    for (const req of required) {
      if (r.type !== req.type) continue;
      const node = property(r.body, req.path, true);
      const value = node?.type === "boolean" ? node.text === "true" : literalString(node);
      if (value !== req.value) problems.push(`${where(r.file, r.node)}: ${r.symbol} (${r.type}) must set ${req.path.join(".")}: ${JSON.stringify(req.value)} (${req.why}); it has ${node ? node.text : "nothing"}`);
    }
  }
  for (const [path, text] of [...Object.entries(sources.hooks), ["azure.yaml", sources.azureYaml] as const]) {
    text.split("\n").forEach((line, i) => {
      if (/^\s*(#|\/\/|\*)/.test(line)) return;
      for (const [pattern, what] of SECRET_COMMANDS) if (pattern.test(line)) problems.push(`${path}:${i + 1}: ${what}: ${line.trim()}`);
    });
  }
  return problems;
}

// ---- Modules: paths, parameters, imports, and the whole tree under sample parameters

/** Every module path resolves; its arguments are parameters of the module and its required parameters are given; imports name exported declarations. */
export async function checkModules(sources: InfraSources): Promise<string[]> {
  const { files } = await load(sources);
  const problems: string[] = [];
  for (const file of files.values()) {
    for (const m of modules(file)) {
      const target = files.get(m.target);
      if (!target) {
        problems.push(`${where(file, m.node)}: module ${m.symbol} '${m.path}' does not exist`);
        continue;
      }
      const params = declarations(target).filter((d) => d.kind === "param");
      const paramsNode = property(m.body, ["params"]);
      const given = paramsNode ? entries(paramsNode) : [];
      for (const e of given) if (!params.some((p) => p.name === e.key)) problems.push(`${where(file, e.keyNode)}: module ${m.symbol} passes ${e.key}, which ${m.target} does not declare`);
      for (const p of params) if (!paramOptional(p.node) && !given.some((e) => e.key === p.name)) problems.push(`${where(file, m.node)}: module ${m.symbol} does not pass ${p.name}, which ${m.target} requires`);
    }
    for (const imp of imports(file)) {
      const target = files.get(imp.target);
      if (!target) {
        problems.push(`${where(file, imp.node)}: import '${imp.path}' does not exist`);
        continue;
      }
      for (const name of imp.names) {
        const d = declarations(target).find((x) => x.name === name);
        if (!d) problems.push(`${where(file, imp.node)}: ${imp.target} declares no ${name}`);
        else if (!decoratorsOf(d.node).some((x) => x.name === "export")) problems.push(`${where(file, imp.node)}: ${imp.target}'s ${name} is not @export()ed`);
      }
    }
  }
  return problems;
}

/**
 * Deploys the whole module tree with `params`: every module's condition and loop, every argument,
 * every output of main.bicep. Returns the deployments made (a failure to evaluate throws, naming the
 * expression).
 */
export async function deployTree(sources: InfraSources, params: Record<string, Value>): Promise<{ instances: Instance[]; outputs: Record<string, Value> }> {
  const { project } = await load(sources);
  const root = project.root(MAIN, params, SAMPLE_CONTEXT);
  const instances = allInstances(root);
  for (const inst of instances) for (const d of declarations(inst.file)) if (d.kind === "param") inst.param(d.name, d.node);
  const outputs = Object.fromEntries(declarations(root.file).filter((d) => d.kind === "output").map((d) => [d.name, root.output(d.name)]));
  return { instances, outputs };
}

// ---- 7. azure.yaml

/** The folder scripts/package.ts builds by default: the `out` it starts from, join(repoRoot, "<folder>"). */
export function packageOutputFolder(packageScript: string): string | undefined {
  const sf = ts.createSourceFile("package.ts", packageScript, ts.ScriptTarget.ES2022, true);
  let found: string | undefined;
  const visit = (n: ts.Node) => {
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.name.text === "out" && n.initializer && ts.isCallExpression(n.initializer)) {
      const last = n.initializer.arguments[n.initializer.arguments.length - 1];
      if (last && ts.isStringLiteral(last)) found ??= last.text;
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

interface HookSpec {
  run?: string;
  shell?: string;
  posix?: HookSpec;
  windows?: HookSpec;
}

/** (7) azure.yaml: the api service is a TypeScript Function App deployed from the folder `npm run package` builds; every hook's script exists. */
export function checkAzureYaml(sources: InfraSources, exists: (repoPath: string) => boolean): string[] {
  const problems: string[] = [];
  const doc = parseYaml(sources.azureYaml) as { services?: Record<string, Record<string, unknown>>; hooks?: Record<string, HookSpec> };
  const api = doc.services?.["api"];
  if (!api) return ["azure.yaml: no service api"];
  const expect = (key: string, value: unknown) => {
    if (api[key] !== value) problems.push(`azure.yaml: services.api.${key} is ${JSON.stringify(api[key])}, expected ${JSON.stringify(value)}`);
  };
  expect("host", "function");
  expect("language", "ts");
  expect("project", ".");
  const out = packageOutputFolder(sources.packageScript);
  if (!out) problems.push("scripts/package.ts: cannot find its default output folder (join(repoRoot, '<folder>'))");
  else expect("dist", out);
  // The folder carries its production node_modules, so azd must not build it remotely.
  expect("remoteBuild", false);

  const scripts = (JSON.parse(sources.packageJson) as { scripts?: Record<string, string> }).scripts ?? {};
  const runs: { where: string; run: string; base: string }[] = [];
  const collect = (hooks: Record<string, HookSpec> | undefined, prefix: string, base: string) => {
    for (const [event, spec] of Object.entries(hooks ?? {})) {
      for (const [variant, s] of [["", spec], ["posix", spec.posix], ["windows", spec.windows]] as const) {
        if (s?.run) runs.push({ where: `${prefix}.${event}${variant ? `.${variant}` : ""}`, run: s.run, base });
      }
    }
  };
  collect(doc.hooks, "hooks", ".");
  collect(api["hooks"] as Record<string, HookSpec> | undefined, "services.api.hooks", String(api["project"] ?? "."));
  if (runs.length === 0) problems.push("azure.yaml: no hooks");
  for (const { where: at, run, base } of runs) {
    for (const m of run.matchAll(/(?:^|[\s;'"])((?:\.\/)?[\w.-]+(?:\/[\w.-]+)+\.(?:sh|cjs|mjs|js|ts|ps1))\b/g)) {
      const path = m[1]!.replace(/^\.\//, "");
      const repoPath = base === "." ? path : `${base.replace(/^\.\//, "")}/${path}`;
      if (!exists(repoPath)) problems.push(`azure.yaml ${at}: ${m[1]} does not exist`);
    }
    for (const m of run.matchAll(/\bnpm run ([\w:-]+)/g)) if (!(m[1]! in scripts)) problems.push(`azure.yaml ${at}: npm run ${m[1]}: package.json has no such script`);
    for (const m of run.matchAll(/([\w./-]+)\/host\.json/g)) if (m[1] !== api["dist"]) problems.push(`azure.yaml ${at}: rewrites ${m[1]}/host.json, but the deployed folder is ${String(api["dist"])}`);
  }
  return problems;
}
