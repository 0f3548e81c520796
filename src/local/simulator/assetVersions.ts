import { systemData } from "./systemData";

/**
 * What every versioned asset of the simulator (models, codes) shares: the order of its versions and
 * its container's wire view (latestVersion / nextVersion, as Azure ML's asset containers report them).
 */
export interface AssetVersion {
  version: string;
  createdAt: string;
}

/**
 * The fields every asset record keeps, container or version: Azure ML's `ResourceBase` (description,
 * tags, properties) and `isArchived`, with the ARM id, name and times.
 */
export interface AssetContainer {
  id: string;
  name: string;
  description: string | null;
  tags: Record<string, string>;
  properties: Record<string, string>;
  isArchived: boolean;
  createdAt: string;
  lastModifiedAt: string;
}

/** A version record: an asset's fields plus its version and `isAnonymous` (Azure ML's `AssetBase`). */
export interface AssetVersionRecord extends AssetContainer, AssetVersion {
  isAnonymous: boolean;
}

/** Newest first: by numeric version where both are numbers, else by creation time. */
export function sortVersions<T extends AssetVersion>(versions: readonly T[]): T[] {
  return [...versions].sort((a, b) => {
    const na = Number(a.version);
    const nb = Number(b.version);
    if (Number.isFinite(na) && Number.isFinite(nb) && na !== nb) return nb - na;
    return b.createdAt.localeCompare(a.createdAt);
  });
}

/** A container's ARM view, given its versions. */
export function assetContainerView(type: string, c: AssetContainer, versions: readonly AssetVersion[]): Record<string, unknown> {
  const latest = sortVersions(versions)[0];
  const latestNumber = latest ? Number(latest.version) : 0;
  return {
    id: c.id,
    name: c.name,
    type,
    properties: {
      description: c.description,
      tags: { ...c.tags },
      properties: { ...c.properties },
      isArchived: c.isArchived,
      latestVersion: latest ? latest.version : null,
      nextVersion: Number.isFinite(latestNumber) ? String(latestNumber + 1) : null,
    },
    systemData: systemData(c.createdAt, c.lastModifiedAt),
  };
}
