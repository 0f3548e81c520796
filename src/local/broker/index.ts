/**
 * Local AMQP 1.0 broker for the real @azure/service-bus client: a test and local-run stand-in for
 * Azure Service Bus, never a production broker. See docs/local-broker.md.
 */
export { startBroker, type LocalServiceBusBroker } from "./broker";
export * from "./constants";
export type * from "./options";
