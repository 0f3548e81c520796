/**
 * The app's registrations as the local runner hosts them: the same modules the Functions host loads
 * through the package.json `main` glob (dist/src/{index.js,functions/*.js}), imported in order
 * between the start and the end of the capture.
 */
import { endCapture } from "./captureBegin";
import "../../index";
import "../../functions/deployFlow";
import "../../functions/endpointLock";
import "../../functions/activities";
import "../../functions/deployRequestsQueue";
import "../../functions/bulkTestEvents";
import "../../functions/deploymentsHttp";

export const appFunctions = endCapture();

// The trigger handlers the local edges call directly (imported from here so they load inside the capture).
export { deployRequestFromQueue } from "../../functions/deployRequestsQueue";
export { bulkTestEvent } from "../../functions/bulkTestEvents";
export { startDeploymentHttp, getDeploymentHttp } from "../../functions/deploymentsHttp";
