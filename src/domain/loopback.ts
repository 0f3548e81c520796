/** Host names of this machine as they appear in a URL's hostname: the only hosts plain http may reach, and the only ones `flowdeploy serve` answers to. */
export const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * Addresses a local stand-in may listen on: this machine only. The simulator answers any caller on
 * its address, and its /_simulator/state route shows endpoint keys; on 0.0.0.0 or a LAN address
 * anyone who can reach the machine could read them (docs/security.md).
 */
export const LOOPBACK_LISTEN_HOSTS: ReadonlySet<string> = new Set(["127.0.0.1", "::1", "localhost"]);

/** The address as `listen` takes it (`[::1]` → `::1`, `LOCALHOST` → `localhost`) when it is a loopback one; undefined otherwise. */
export function loopbackListenHost(host: string): string | undefined {
  const plain = host.trim().toLowerCase().replace(/^\[(.*)\]$/, "$1");
  return LOOPBACK_LISTEN_HOSTS.has(plain) ? plain : undefined;
}
