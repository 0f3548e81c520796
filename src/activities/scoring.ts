/**
 * What the smoke test needs from a scoring client: one POST of flow inputs to a scoring URI. The
 * activities depend on this shape; src/azure/clients.ts implements it over the SDK's HTTP client.
 */
export interface ScoreRequest {
  scoringUri: string;
  /** Endpoint key or AML token; sent as `Authorization: Bearer <secret>` and never logged. */
  secret: string;
  /** The flow inputs. */
  input: unknown;
  /** Target one deployment through the `azureml-model-deployment` header (bypasses traffic). */
  deployment?: string;
  /** Overrides the client's timeout for this call. */
  timeoutMs?: number;
}

export interface ScoreResponse {
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON body, or the raw text when it is not JSON. */
  body: unknown;
}

export interface ScoringClient {
  score(request: ScoreRequest): Promise<ScoreResponse>;
}
