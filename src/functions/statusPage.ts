import type { HttpRequest, HttpResponseInit } from "@azure/functions";
import { STATUS_PAGE } from "../statusPage/page";

/** The page's route under the host's route prefix: GET /api/status (`flowdeploy serve` also answers `/` with a redirect here). */
export const STATUS_PAGE_ROUTE = "status";

/**
 * GET /api/status: the status page (src/statusPage/), a document that reads the deployment routes
 * from the browser. Same `authLevel: "function"` as those routes: opened on Azure as
 * `/api/status?code=<host key>`, its script sends that key to them as `x-functions-key`. The answer
 * is the same for every caller and holds no data, no key and nothing of the request.
 */
export async function statusPageHttp(_request: HttpRequest): Promise<HttpResponseInit> {
  return { status: 200, headers: { ...STATUS_PAGE.headers }, body: STATUS_PAGE.html };
}
