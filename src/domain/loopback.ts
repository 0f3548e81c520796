/** Host names of this machine as they appear in a URL's hostname: the only hosts plain http may reach, and the only ones `flowdeploy serve` answers to. */
export const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(["127.0.0.1", "localhost", "[::1]"]);
