import { instanceIdFor } from "../../../src/domain/ids";
import type { ScenarioInput } from "../../../src/local/simulator";
import { serve, type RunningService } from "../../../src/local/serve";
import { sampleRequest } from "../../support/samples";

/**
 * `flowdeploy serve` in-process on a virtual clock that only the test moves: the runner's background
 * loop is stopped, so a deployment advances exactly as far as `advance` lets it (runUntilIdle up to
 * a moment), however slow the machine. Between two advances the app stands still and the page, which
 * polls the status route, can only show what the clock allowed.
 */
export const T0 = new Date("2026-11-23T10:00:00.000Z");

export interface Service {
  service: RunningService;
  url: string;
  /** Runs everything due up to `minutes` simulated minutes from the clock's now. */
  advance(minutes: number): Promise<void>;
  /** Runs until nothing can run (finished, or waiting for an approval or a cancel). */
  settle(): Promise<void>;
  /** POST /api/deployments with the sample request changed by `edit`; returns its instance id. */
  start(requestId: string, edit?: (request: Record<string, any>) => void): Promise<string>;
  close(): Promise<void>;
}

export async function startService(scenario: ScenarioInput): Promise<Service> {
  const service = await serve({ port: 0, startAt: T0, scenario });
  await service.stack.runtime.stop();
  const { runtime, clock } = service.stack;
  return {
    service,
    url: service.url,
    async advance(minutes) {
      await runtime.runUntilIdle({ advanceClockUntil: new Date(clock.now().getTime() + minutes * 60_000) });
    },
    async settle() {
      await runtime.runUntilIdle();
    },
    async start(requestId, edit) {
      const request = sampleRequest();
      request["requestId"] = requestId;
      edit?.(request);
      const res = await fetch(`${service.url}/api/deployments`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(request) });
      if (res.status !== 202) throw new Error(`POST /api/deployments: ${res.status} ${await res.text()}`);
      return instanceIdFor(requestId);
    },
    close: () => service.close(),
  };
}
