import { DefaultAzureCredential } from "@azure/identity";

/**
 * On Azure: exports the app's spans (intake, activities, the Azure SDK's ARM and Service Bus calls)
 * to Application Insights through the Azure Monitor OpenTelemetry distro, signed in with Entra ID —
 * the Function App's identity (DefaultAzureCredential takes the user-assigned identity from
 * AZURE_CLIENT_ID, set by infra/main.bicep), which infra/app/monitoring.bicep gives Monitoring
 * Metrics Publisher on the Application Insights resource (learn.microsoft.com, "Microsoft Entra
 * authentication for Application Insights": the `credential` option of the distro's exporter).
 * Without APPLICATIONINSIGHTS_CONNECTION_STRING (local runs, tests) nothing is started.
 *
 * @azure/monitor-opentelemetry is pinned to 1.18.1, the last release that supports Node 20 (1.18.2
 * and later require Node 22; the tests run on both, docs/tracing.md).
 */
export function startAzureMonitor(env: NodeJS.ProcessEnv = process.env): boolean {
  const connectionString = env["APPLICATIONINSIGHTS_CONNECTION_STRING"];
  if (!connectionString) return false;
  const { useAzureMonitor } = require("@azure/monitor-opentelemetry") as typeof import("@azure/monitor-opentelemetry");
  useAzureMonitor({ azureMonitorExporterOptions: { connectionString, credential: new DefaultAzureCredential() } });
  return true;
}
