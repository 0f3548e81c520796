import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../support/samples";

/**
 * The runner's modules import each other in one direction only: the runtime's parts (state, entity
 * dispatch, instance lifecycle, activities, timers, episodes, recovery, the loop) sit under the
 * DurableRuntime façade, and none reaches back up. A cycle would mean two parts that cannot be read
 * (or tested) one without the other.
 */
const RUNNER = join(repoRoot, "src", "local", "runner");

function localImports(file: string): string[] {
  const text = readFileSync(join(RUNNER, file), "utf8");
  return [...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+"\.\/([A-Za-z0-9_-]+)"/gms)].map((m) => `${m[1]}.ts`);
}

function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === "done") return undefined;
    if (state.get(node) === "open") return [...path.slice(path.indexOf(node)), node];
    state.set(node, "open");
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(node, "done");
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

describe("the local runner's module layout", () => {
  const files = readdirSync(RUNNER).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"));
  const graph = new Map(files.map((f) => [f, localImports(f)]));

  it("has no import cycle", () => {
    expect(graph.get("runtime.ts")).toEqual(expect.arrayContaining(["runtimeState.ts", "schedulerLoop.ts", "episodeDispatch.ts", "instanceLifecycle.ts"]));
    expect(findCycle(graph)).toBeUndefined();
  });

  it("the runtime's parts never import the façade (only index and the client do)", () => {
    const importers = files.filter((f) => graph.get(f)?.includes("runtime.ts"));
    expect(importers.sort()).toEqual(["client.ts", "index.ts"]);
  });

  it("finds cycles when there is one (the check itself works)", () => {
    expect(findCycle(new Map([["a.ts", ["b.ts"]], ["b.ts", ["c.ts"]], ["c.ts", ["a.ts"]]]))).toEqual(["a.ts", "b.ts", "c.ts", "a.ts"]);
  });
});
