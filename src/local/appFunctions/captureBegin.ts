import { FunctionRegistry } from "../runner";

/**
 * First of the ordered imports in ../appFunctions.ts: starts capturing what the app registers.
 * Module bodies run in import order, so every registration module imported between this one and
 * captureEnd.ts registers into `registry`, with the exact handlers the Functions host would receive.
 */
export const registry = new FunctionRegistry();

let release!: () => void;
void registry.captureAsync(() => new Promise<void>((resolve) => (release = resolve)));

// Outside the Functions host, @azure/functions runs in "test mode" and warns about every trigger it
// skips (HTTP, Service Bus, Event Grid: the local edges call those handlers directly). Expected here.
const warn = console.warn;
console.warn = (...args: unknown[]) => {
  if (!/^WARNING: (Failed to detect the Azure Functions runtime|Skipping call to register function)/.test(String(args[0]))) warn(...args);
};

export function endCapture(): FunctionRegistry {
  console.warn = warn;
  release();
  return registry;
}
