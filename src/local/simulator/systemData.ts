/** Who the simulator says created and last changed a resource (ARM `systemData`). */
export const SIMULATOR_ACTOR = "flowdeploy-simulator";

/** `systemData` with the six fields of the fixtures (createdAt/By/ByType, lastModifiedAt/By/ByType). */
export function systemData(createdAt: string, lastModifiedAt: string): Record<string, string> {
  return {
    createdAt,
    createdBy: SIMULATOR_ACTOR,
    createdByType: "Application",
    lastModifiedAt,
    lastModifiedBy: SIMULATOR_ACTOR,
    lastModifiedByType: "Application",
  };
}
