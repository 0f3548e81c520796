import type { Caller } from "../intake/approval";

/**
 * Who calls an HTTP route, as the host says, never as the body says. App Service authentication
 * ("Easy Auth", which Azure Functions shares) puts the signed-in caller into request headers
 * (Learn, "Work with user identities in Azure App Service authentication"; MicrosoftDocs/azure-docs
 * articles/app-service/configure-authentication-user-identities.md):
 *   X-MS-CLIENT-PRINCIPAL-NAME  a human-readable name set by the identity provider (e-mail address, UPN)
 *   X-MS-CLIENT-PRINCIPAL-ID    an identifier for the caller set by the identity provider
 *   X-MS-CLIENT-PRINCIPAL       every claim, as Base64-encoded JSON {auth_typ, claims: [{typ, val}], name_typ, role_typ}
 * "External requests aren't allowed to set these headers, so they're present only if App Service
 * sets them" — when App Service authentication is enabled. When it is not, nothing removes them, so
 * they are read only when `trusted` (the platform's WEBSITE_AUTH_ENABLED, src/config.ts), as the
 * Functions host itself does (azure-functions-host AuthenticationLevelHandler adds the Easy Auth
 * identity only when `IsEasyAuthEnabled()`). Header names compare ignoring case (Headers.get).
 */
export const CLIENT_PRINCIPAL_NAME_HEADER = "x-ms-client-principal-name";
export const CLIENT_PRINCIPAL_ID_HEADER = "x-ms-client-principal-id";
export const CLIENT_PRINCIPAL_HEADER = "x-ms-client-principal";

/** Entra ID's object id claim, as App Service's claims mapping names it (and its short form). */
const OBJECT_ID_CLAIMS = ["http://schemas.microsoft.com/identity/claims/objectidentifier", "oid"];

/** Longest principal name or id kept (an Entra UPN is at most 113 characters; more is not a name). */
const MAX_PRINCIPAL_CHARS = 256;

export function callerFromHeaders(headers: Pick<Headers, "get">, trusted: boolean): Caller {
  const raw = {
    name: headers.get(CLIENT_PRINCIPAL_NAME_HEADER),
    id: headers.get(CLIENT_PRINCIPAL_ID_HEADER),
    principal: headers.get(CLIENT_PRINCIPAL_HEADER),
  };
  const sent = raw.name !== null || raw.id !== null || raw.principal !== null;
  if (!trusted) return { kind: "functionKey", ignoredHeaders: sent };
  const claims = decodePrincipal(raw.principal);
  const name = clean(raw.name) ?? clean(claims?.name);
  const id = clean(raw.id) ?? clean(claims?.id);
  if (name === null && id === null) return { kind: "functionKey", ignoredHeaders: sent };
  return { kind: "principal", name, id };
}

/** The name (the claim `name_typ` names) and object id from X-MS-CLIENT-PRINCIPAL; undefined when it is absent or not that JSON. */
function decodePrincipal(header: string | null): { name: string | undefined; id: string | undefined } | undefined {
  if (!header) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(header, "base64").toString("utf8"));
  } catch {
    return undefined;
  }
  const principal = json as { claims?: unknown; name_typ?: unknown } | null;
  if (!principal || typeof principal !== "object" || !Array.isArray(principal.claims)) return undefined;
  const claim = (types: readonly unknown[]) => {
    for (const c of principal.claims as unknown[]) {
      const { typ, val } = (c ?? {}) as { typ?: unknown; val?: unknown };
      if (types.includes(typ) && typeof val === "string") return val;
    }
    return undefined;
  };
  return { name: typeof principal.name_typ === "string" ? claim([principal.name_typ]) : undefined, id: claim(OBJECT_ID_CLAIMS) };
}

/** A usable name: trimmed, non-empty, not over-long, no control characters (it ends up in logs and notifications). */
function clean(value: string | null | undefined): string | null {
  const v = value?.trim();
  // eslint-disable-next-line no-control-regex
  if (!v || v.length > MAX_PRINCIPAL_CHARS || /[\u0000-\u001f\u007f-\u009f]/.test(v)) return null;
  return v;
}
