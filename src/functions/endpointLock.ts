import * as df from "durable-functions";
import { ENDPOINT_LOCK_ENTITY } from "../domain/ids";

/**
 * The per-endpoint lock: a durable entity with no state or operations of its own. deployFlow holds it
 * (`context.df.lock`) from the endpoint stage to the notification, so two deployments to the same
 * endpoint never change it at the same time; they run one after the other, in the order they asked.
 */
df.app.entity(ENDPOINT_LOCK_ENTITY, () => undefined);
