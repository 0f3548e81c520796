import { isRecord } from "./json";
import type { DeploymentRecord, ModelVersionRecord } from "./stateStore";

/**
 * What a deployed prompt flow answers (README wire facts (d)): the request body is the flow's inputs,
 * the answer its outputs.
 * - standard flows behave like the web-classification sample: `{url}` → `{category, evidence}`;
 * - chat flows (model property azureml.promptflow.mode = chat): `{question, chat_history}` → `{answer}`,
 *   with the input/output names taken from azureml.promptflow.chat_input / chat_output when set.
 * The answers are deterministic so tests can assert them.
 */

export interface FlowSpec {
  kind: "standard" | "chat";
  chatInput: string;
  chatOutput: string;
}

export function flowSpecFor(deployment: DeploymentRecord, model: ModelVersionRecord | undefined): FlowSpec {
  const props = model?.properties ?? {};
  const mode = props["azureml.promptflow.mode"]?.toLowerCase();
  const kind = mode === "chat" ? "chat" : mode !== undefined ? "standard" : (deployment.flow ?? "standard");
  return {
    kind,
    chatInput: props["azureml.promptflow.chat_input"] ?? "question",
    chatOutput: props["azureml.promptflow.chat_output"] ?? "answer",
  };
}

export type FlowResult = { ok: true; output: Record<string, unknown> } | { ok: false; message: string };

/** Categories of the web-classification prompt: Movie, App, Academic, Channel, Profile, PDF or None. */
function classify(url: string): { category: string; evidence: string } {
  const u = url.toLowerCase();
  if (/play\.google\.com\/store\/apps|apps\.apple\.com|microsoft\.com\/store\/apps/.test(u)) return { category: "App", evidence: "Both" };
  if (/\.pdf($|\?)/.test(u)) return { category: "PDF", evidence: "Url" };
  if (/imdb\.com\/title|netflix\.com\/title|\/movie/.test(u)) return { category: "Movie", evidence: "Both" };
  if (/arxiv\.org|scholar\.google|doi\.org|\.edu\//.test(u)) return { category: "Academic", evidence: "Text content" };
  if (/youtube\.com\/(channel|c\/|@)|twitch\.tv\//.test(u)) return { category: "Channel", evidence: "Url" };
  if (/linkedin\.com\/in\/|github\.com\/[^/]+\/?$|twitter\.com\/[^/]+\/?$|x\.com\/[^/]+\/?$/.test(u)) return { category: "Profile", evidence: "Url" };
  return { category: "None", evidence: "None" };
}

export function runFlow(flow: FlowSpec, input: unknown): FlowResult {
  if (!isRecord(input)) return { ok: false, message: "The request body must be a JSON object of flow inputs." };
  if (flow.kind === "standard") {
    const url = input["url"];
    if (typeof url !== "string" || url.length === 0) {
      return { ok: false, message: "The input for flow is incorrect. The value for flow input 'url' is not provided in input data." };
    }
    return { ok: true, output: classify(url) };
  }
  const question = input[flow.chatInput];
  if (typeof question !== "string" || question.length === 0) {
    return { ok: false, message: `The input for flow is incorrect. The value for flow input '${flow.chatInput}' is not provided in input data.` };
  }
  const history = Array.isArray(input["chat_history"]) ? input["chat_history"].length : 0;
  return {
    ok: true,
    output: { [flow.chatOutput]: `Simulated answer to "${question}" (turn ${history + 1}).` },
  };
}
