/**
 * The page's calls to the app's JSON routes (GET /api/deployments, GET /api/deployments/{id}, POST
 * …/approve, …/reject, …/cancel): plain `fetch`, relative to the page, the function key as a header.
 * Browser JavaScript, served as text inside the page's one script (src/statusPage/script.ts).
 */
export const BROWSER_API = String.raw`
// The function key, when the page was opened with ?code=<key>: the Functions host accepts a key in
// the "code" query parameter or in the x-functions-key header (learn.microsoft.com, "Azure Functions
// HTTP trigger", API key authorization). It is sent as that header to the routes the page calls and
// never written into the page: no element, attribute or text holds it.
var functionKey = new URLSearchParams(window.location.search).get("code");

// Relative to the page (.../api/status): .../api/deployments, whatever the host's route prefix.
function apiUrl(path) {
  return new URL(path, window.location.href).toString();
}

function apiHeaders(extra) {
  var headers = Object.assign({ accept: "application/json" }, extra || {});
  if (functionKey) headers["x-functions-key"] = functionKey;
  return headers;
}

async function apiGet(path) {
  var res = await fetch(apiUrl(path), { headers: apiHeaders(), cache: "no-store", credentials: "same-origin", referrerPolicy: "no-referrer" });
  return readAnswer(res);
}

async function apiPost(path, body) {
  var res = await fetch(apiUrl(path), {
    method: "POST",
    headers: apiHeaders({ "content-type": "application/json" }),
    body: JSON.stringify(body),
    cache: "no-store",
    credentials: "same-origin",
    referrerPolicy: "no-referrer",
  });
  return readAnswer(res);
}

async function readAnswer(res) {
  var text = await res.text();
  var body = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch (e) {
      body = null;
    }
  }
  return { status: res.status, ok: res.ok, body: body };
}

// What a refused or failed call says: the route's own error lines, else what its status means.
function problemText(answer) {
  if (answer.body && Array.isArray(answer.body.errors) && answer.body.errors.length > 0) return answer.body.errors.map(String).join("; ");
  if (answer.status === 401) return "the app asks for a key (HTTP 401): open this page with ?code= and the app's host key";
  if (answer.status === 0) return "the app could not be reached";
  return "HTTP " + answer.status;
}

// A call that could not be made at all (the app stopped, the network dropped) is an answer with status 0.
async function safely(call) {
  try {
    return await call();
  } catch (e) {
    return { status: 0, ok: false, body: null };
  }
}
`;
