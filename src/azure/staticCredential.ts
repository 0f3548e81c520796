import type { AccessToken, TokenCredential } from "@azure/identity";

/**
 * A credential that always returns the same bearer token. The local simulator accepts any token, so
 * this is all it needs; production uses DefaultAzureCredential (see clients.ts).
 */
export function staticTokenCredential(token = "flowdeploy-local-token", lifetimeSeconds = 3600): TokenCredential {
  return {
    getToken: async (): Promise<AccessToken> => ({ token, expiresOnTimestamp: Date.now() + lifetimeSeconds * 1000 }),
  };
}
