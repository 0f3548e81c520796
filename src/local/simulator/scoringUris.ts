/**
 * Where an endpoint is scored. Azure: `https://{endpoint}.{region}.inference.ml.azure.com/score` and
 * `.../swagger.json` (README wire facts (d)). The simulator serves scoring on its own HTTPS port under
 * `/endpoints/{endpoint}/`, so one certificate and one port cover the control and the data plane.
 */
export function scoringUri(baseUrl: string, endpointName: string): string {
  return `${baseUrl}/endpoints/${endpointName}/score`;
}

export function swaggerUri(baseUrl: string, endpointName: string): string {
  return `${baseUrl}/endpoints/${endpointName}/swagger.json`;
}
