import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../support/samples";
import { bicepWasmPath, checkBicep, formatProblem } from "./bicep";

/**
 * Every infra/**\/*.bicep parses with the tree-sitter Bicep grammar (no ERROR, no MISSING node) and
 * every name it uses is declared in the file or is a Bicep built-in (test/infra/bicep.ts). The Bicep
 * CLI is not available here; this catches the typos and broken braces that would fail `azd provision`
 * first.
 */
const infraDir = join(repoRoot, "infra");

function bicepFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(".bicep"))
    .map((e) => join(e.parentPath, e.name).slice(repoRoot.length + 1).split("\\").join("/"))
    .sort();
}

const files = bicepFiles(infraDir);

describe("infra Bicep files", () => {
  it("infra/main.bicep exists (the azd entry point)", () => {
    expect(existsSync(join(infraDir, "main.bicep"))).toBe(true);
  });

  it.each(files)("%s: no syntax error, every name resolves", async (file) => {
    const problems = await checkBicep(readFileSync(join(repoRoot, file), "utf8"));
    expect(problems.map(formatProblem), file).toEqual([]);
  });
});

describe("the Bicep check itself", () => {
  const valid = `
targetScope = 'resourceGroup'

import { roleIds } from 'roles.bicep'
import * as shared from 'shared.bicep'

metadata description = 'A sample'

@description('Where everything goes.')
@allowed(['westeurope', 'swedencentral'])
param location string = resourceGroup().location

@secure()
param adminKey string?

@minValue(1)
param count int = 2

type queueSpec = {
  @description('Queue name')
  name: string
  maxDelivery: int?
}

param queues queueSpec[] = [
  { name: 'deploy-requests', maxDelivery: 10 }
]

var token = toLower(uniqueString(subscription().id, resourceGroup().id, location))
var names = [for i in range(0, count): 'n\${i}-\${token}']
var lengths = map(names, n => length(n))
var pairs = reduce(names, {}, (acc, n) => union(acc, { '\${n}': true }))
var readerRole = sys.concat(roleIds.reader, shared.suffix)
#disable-next-line no-unused-vars
var tenantId = az.tenant().tenantId

func prefixed(prefix string, value string) string => '\${prefix}-\${value}'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: 'st\${token}'
  location: location
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    allowSharedKeyAccess: false
    minimumTlsVersion: adminKey == null ? 'TLS1_2' : 'TLS1_2'
  }

  resource blobs 'blobServices' = {
    name: 'default'
  }
}

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: prefixed('sb', token)
}

resource queue 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = [for (q, i) in queues: if (i < count) {
  parent: namespace
  name: q.name
  properties: {
    maxDeliveryCount: q.?maxDelivery ?? 10
  }
}]

module app 'app/function-app.bicep' = {
  name: 'app'
  params: {
    location: location
    storageId: storage.id
    blobs: storage::blobs.id
    keys: listKeys(storage.id, '2023-05-01').keys[0].value
    names: lengths
    pairs: pairs
    reader: readerRole
  }
}

output storageName string = storage.name
output queueIds array = [for (q, i) in queues: queue[i].id]
output appUrl string = app.outputs.url
`;

  it("loads the grammar from the tree-sitter-bicep package's wasm", () => {
    expect(bicepWasmPath()).toMatch(/tree-sitter-bicep[\\/]tree-sitter-bicep\.wasm$/);
  });

  it("passes a valid file (parameters, types, loops, lambdas, functions, nested and existing resources, modules, imports)", async () => {
    expect((await checkBicep(valid)).map(formatProblem)).toEqual([]);
  });

  it("fails on a misspelled parameter, naming its line and column", async () => {
    const broken = valid.replace("  location: location\n  kind:", "  location: locaton\n  kind:");
    const line = broken.split("\n").findIndex((l) => l.includes("locaton")) + 1;
    expect((await checkBicep(broken)).map(formatProblem)).toEqual([`${line}:13 unknown name 'locaton' (no parameter, variable, resource, module, function, type or loop variable of that name)`]);
  });

  it("fails on a misspelled function, decorator, loop variable and type", async () => {
    const broken = valid
      .replace("toLower(uniqueString(", "toLower(uniqueStrin(")
      .replace("@minValue(1)", "@minVal(1)")
      .replace("queue[i].id]", "queue[j].id]")
      .replace("param queues queueSpec[]", "param queues queueSpecs[]");
    expect((await checkBicep(broken)).map((p) => p.message)).toEqual([
      "unknown decorator '@minVal'",
      "unknown name 'queueSpecs' (no parameter, variable, resource, module, function, type or loop variable of that name)",
      "unknown function 'uniqueStrin'",
      "unknown name 'j' (no parameter, variable, resource, module, function, type or loop variable of that name)",
    ]);
  });

  it("does not let a loop variable, lambda parameter or function parameter leak out of its scope", async () => {
    const src = `
param items array
var a = [for item in items: item]
var b = map(items, x => x)
func f(p string) string => p
output leaked array = [item, x, p]
`;
    expect((await checkBicep(src)).map((p) => p.message.split(" (")[0])).toEqual(["unknown name 'item'", "unknown name 'x'", "unknown name 'p'"]);
  });

  it("does not count an output as a declaration an expression can use", async () => {
    const src = "param location string\nresource id 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {\n  name: name\n  location: location\n}\noutput name string = id.name\n";
    expect((await checkBicep(src)).map(formatProblem)).toEqual(["3:9 unknown name 'name' (no parameter, variable, resource, module, function, type or loop variable of that name)"]);
  });

  it("fails on a missing closing brace", async () => {
    const broken = valid.replace("  sku: { name: 'Standard_LRS' }\n", "  sku: { name: 'Standard_LRS'\n");
    const problems = await checkBicep(broken);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.every((p) => p.message.startsWith("syntax error:")), problems.map(formatProblem).join("\n")).toBe(true);
  });

  it("reports a missing token as MISSING with its position", async () => {
    expect((await checkBicep("param location string\nvar x = concat(location, 'a'\n")).map(formatProblem)).toEqual([expect.stringMatching(/^\d+:\d+ syntax error: missing '\)'$/)]);
  });

  it("fails on text that is not Bicep", async () => {
    const problems = await checkBicep("param location string\nthis is not bicep = {\n");
    expect(problems.map(formatProblem)).toEqual([expect.stringMatching(/^2:\d+ syntax error: /)]);
  });
});
