import type { InvocationContext } from "@azure/functions";
import type { ActivityName } from "../activities/catalog";
import { appActivities } from "./appServices";

/** One handler per activity; each only forwards to the implementation built from injected clients. */
export function activityHandler(name: ActivityName) {
  return (input: unknown, _context: InvocationContext): Promise<unknown> => (appActivities()[name] as (i: unknown) => Promise<unknown>)(input);
}
