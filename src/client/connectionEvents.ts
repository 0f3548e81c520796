import type { ServiceBusReceiver } from "@azure/service-bus";

/**
 * Tells when the AMQP connection under a receiver goes away, which @azure/service-bus 7.x does not
 * tell its callers: it has no public connection event, and a peer that closes the connection cleanly
 * (a close frame without an error, as a broker that shuts down sends) is not noticed at all — its
 * ConnectionContext listens for rhea's `disconnected` only, so a batching `receiveMessages` waits out
 * its whole `maxWaitTimeInMs` before the next call finds the connection gone
 * (node_modules/@azure/service-bus/dist-esm/src/connectionContext.js, 7.9.5).
 *
 * So this reads the SDK's connection — `ServiceBusReceiverImpl._context.connection`, a rhea-promise
 * Connection, replaced by a new one when the SDK reconnects: ask again for each receive — and
 * listens to the events rhea-promise re-emits from rhea: `connection_close` (the peer sent close,
 * with or without an error such as amqp:connection:forced) and `disconnected` (the socket dropped).
 * Where those internals are not found (another SDK version), it tells nothing, and the caller learns
 * of a drop from its next receive instead. Returns the function that stops listening.
 */
export function onConnectionLost(receiver: ServiceBusReceiver, listener: (reason: string) => void): () => void {
  const connection = (receiver as unknown as { _context?: { connection?: unknown } })._context?.connection as EmitterLike | undefined;
  if (!connection || typeof connection.on !== "function" || typeof connection.removeListener !== "function") return () => undefined;
  let told = false;
  const tell = (reason: string) => {
    if (told) return;
    told = true;
    listener(reason);
  };
  const onClose = (context?: EventContextLike) => tell(`closed by the namespace${describeAmqpError(context?.connection?.error ?? context?.error)}`);
  const onDisconnected = (context?: EventContextLike) => tell(`the network connection dropped${describeAmqpError(context?.error)}`);
  connection.on("connection_close", onClose);
  connection.on("disconnected", onDisconnected);
  return () => {
    connection.removeListener("connection_close", onClose);
    connection.removeListener("disconnected", onDisconnected);
  };
}

interface EmitterLike {
  on(event: string, listener: (context?: EventContextLike) => void): unknown;
  removeListener(event: string, listener: (context?: EventContextLike) => void): unknown;
}

interface EventContextLike {
  error?: unknown;
  connection?: { error?: unknown };
}

/** `: amqp:connection:forced (the gateway is restarting)`, `: ECONNRESET`, or nothing. */
function describeAmqpError(error: unknown): string {
  if (typeof error !== "object" || error === null) return "";
  const e = error as { condition?: unknown; description?: unknown; code?: unknown; message?: unknown };
  const what = [e.condition ?? e.code, e.description ?? e.message].filter((part): part is string => typeof part === "string" && part.trim() !== "");
  return what.length > 0 ? `: ${what.join(" ").split(/\r?\n/, 1)[0]}` : "";
}
