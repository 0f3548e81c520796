import { isIP } from "node:net";
import { generate } from "selfsigned";

/**
 * A self-signed certificate made at start. The Azure SDK's bearer-token policy refuses to send a token
 * over plain http (shared/notes/simulator-tls.md), so the simulator must speak HTTPS; clients trust
 * this one certificate (it is its own CA) through `tlsOptions: { ca }` or NODE_EXTRA_CA_CERTS.
 */
export interface SimulatorCertificate {
  certPem: string;
  keyPem: string;
}

export async function createSelfSignedCertificate(host: string): Promise<SimulatorCertificate> {
  const ips = new Set(["127.0.0.1", "::1"]);
  const dns = new Set(["localhost"]);
  if (isIP(host)) ips.add(host);
  else dns.add(host);
  const now = new Date();
  const pems = await generate([{ name: "commonName", value: "flowdeploy local Azure simulator" }], {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    notBeforeDate: new Date(now.getTime() - 60_000),
    notAfterDate: new Date(now.getTime() + 30 * 24 * 3600 * 1000),
    extensions: [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", digitalSignature: true, keyCertSign: true, critical: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: [...[...dns].map((value) => ({ type: 2 as const, value })), ...[...ips].map((ip) => ({ type: 7 as const, ip }))],
      },
    ],
  });
  return { certPem: pems.cert, keyPem: pems.private };
}
