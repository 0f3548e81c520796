import * as df from "durable-functions";
import { RELEASE_ENDPOINT_LOCK, releaseEndpointLock } from "../../orchestrations/releaseEndpointLock";

df.app.orchestration(RELEASE_ENDPOINT_LOCK, releaseEndpointLock);
