import { randomBytes } from "node:crypto";
import type { SimState, TokenRecord } from "./stateStore";

/**
 * Endpoint keys and AML tokens. Every value issued is remembered in `state.secrets` so a test can
 * scan logs and outputs for leaks (`simulator.secrets()`).
 */

/** Azure ML endpoint keys are 32 random bytes, base64 (44 characters). */
export function newEndpointKey(): string {
  return randomBytes(32).toString("base64");
}

export function issueEndpointKeys(state: SimState): { primaryKey: string; secondaryKey: string } {
  const keys = { primaryKey: newEndpointKey(), secondaryKey: newEndpointKey() };
  state.secrets.push(keys.primaryKey, keys.secondaryKey);
  return keys;
}

/** AML tokens live one hour; clients should refresh after half of it. */
export const TOKEN_LIFETIME_SECONDS = 3600;
export const TOKEN_REFRESH_AFTER_SECONDS = 1800;

export function issueToken(state: SimState, endpointKey: string, now: Date): TokenRecord {
  const token: TokenRecord = {
    endpointKey,
    accessToken: `sim.${randomBytes(48).toString("base64url")}`,
    expiresAt: new Date(now.getTime() + TOKEN_LIFETIME_SECONDS * 1000).toISOString(),
  };
  state.tokens.push(token);
  state.secrets.push(token.accessToken);
  return token;
}

export function isValidToken(state: SimState, endpointKey: string, accessToken: string, now: Date): boolean {
  return state.tokens.some(
    (t) => t.endpointKey === endpointKey && t.accessToken === accessToken && now.getTime() < new Date(t.expiresAt).getTime(),
  );
}
