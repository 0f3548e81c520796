/**
 * Errors that say whether to retry. Activities throw `PipelineError`s; the exception-properties
 * provider (registered in src/index.ts) copies `{code, retryable, retryAfterSeconds, status}` into
 * the Durable task's failure details, so the orchestrator branches on those and never on message
 * text. An error names no stage: the orchestrator knows which stage called the activity
 * (src/contracts/stages.ts holds the one list of stage names).
 * Messages never carry secrets: keys and tokens are read inside activities and never put in errors.
 */

export interface PipelineErrorOptions {
  code: string;
  retryable: boolean;
  /** Seconds the service asked us to wait (HTTP Retry-After), when it did. */
  retryAfterSeconds?: number | undefined;
  /** The HTTP status behind the error, when there was one. */
  status?: number | undefined;
  cause?: unknown;
}

export class PipelineError extends Error {
  override readonly name: string = "PipelineError";
  readonly code: string;
  readonly retryable: boolean;
  readonly retryAfterSeconds: number | undefined;
  readonly status: number | undefined;

  constructor(message: string, options: PipelineErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.retryable = options.retryable;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.status = options.status;
  }

  /** The plain-JSON view that crosses into orchestration history (no stack, no cause). */
  toProperties(): PipelineErrorProperties {
    return {
      code: this.code,
      retryable: this.retryable,
      ...(this.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: this.retryAfterSeconds }),
      ...(this.status === undefined ? {} : { status: this.status }),
    };
  }
}

export interface PipelineErrorProperties {
  code: string;
  retryable: boolean;
  retryAfterSeconds?: number;
  status?: number;
}

/** A failure that will not go away by trying again (bad input, a missing model, a quota). */
export class NonRetryableError extends PipelineError {
  override readonly name = "NonRetryableError";
  constructor(message: string, options: Omit<PipelineErrorOptions, "retryable">) {
    super(message, { ...options, retryable: false });
  }
}

/** A transient failure, with the wait the service asked for. */
export class RetryAfterError extends PipelineError {
  override readonly name = "RetryAfterError";
  constructor(message: string, options: Omit<PipelineErrorOptions, "retryable">) {
    super(message, { ...options, retryable: true });
  }
}

/** Throttling and server-side failures are worth retrying; other 4xx are not (ARM semantics). */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

const TRANSIENT_NETWORK_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EPIPE", "EAI_AGAIN", "ENOTFOUND", "UND_ERR_SOCKET", "UND_ERR_CONNECT_TIMEOUT"]);

/**
 * Converts anything thrown into a PipelineError, in the spirit of the Functions
 * library's `ensureErrorType`: Azure `RestError`s keep their ARM error code and status; network
 * resets are retryable; anything else is an internal, non-retryable error.
 */
export function toPipelineError(err: unknown): PipelineError {
  if (err instanceof PipelineError) return err;
  if (err instanceof Error) {
    const status = numberProp(err, "statusCode");
    const armCode = armErrorCode(err);
    const netCode = stringProp(err, "code");
    if (status !== undefined) {
      return new PipelineError(armMessage(err) ?? err.message, {
        code: armCode ?? `Http${status}`,
        retryable: isRetryableStatus(status),
        status,
        retryAfterSeconds: retryAfterFrom(err),
        cause: err,
      });
    }
    if (netCode && TRANSIENT_NETWORK_CODES.has(netCode)) {
      return new PipelineError(`network error: ${netCode}`, { code: netCode, retryable: true, cause: err });
    }
    return new PipelineError(err.message, { code: armCode ?? "InternalError", retryable: false, cause: err });
  }
  return new PipelineError(typeof err === "string" ? err : "unknown error", { code: "InternalError", retryable: false });
}

function numberProp(obj: object, key: string): number | undefined {
  const v = (obj as Record<string, unknown>)[key];
  return typeof v === "number" ? v : undefined;
}

function stringProp(obj: object, key: string): string | undefined {
  const v = (obj as Record<string, unknown>)[key];
  return typeof v === "string" ? v : undefined;
}

/** ARM puts `{error: {code, message}}` in the body; core-client exposes it on `RestError.details`. */
function armErrorCode(err: Error): string | undefined {
  const details = (err as { details?: { error?: { code?: unknown } } }).details;
  const code = details?.error?.code ?? (err as { code?: unknown }).code;
  return typeof code === "string" && !/^E[A-Z_]+$/.test(code) && code !== "REQUEST_SEND_ERROR" ? code : undefined;
}

function armMessage(err: Error): string | undefined {
  const details = (err as { details?: { error?: { message?: unknown } } }).details;
  const message = details?.error?.message;
  return typeof message === "string" ? message : undefined;
}

function retryAfterFrom(err: Error): number | undefined {
  const headers = (err as { response?: { headers?: { get?: (n: string) => string | undefined } } }).response?.headers;
  const raw = headers?.get?.("retry-after");
  if (raw === undefined) return undefined;
  const seconds = Number(raw);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}
