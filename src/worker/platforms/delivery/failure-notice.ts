/**
 * What a chat sees of a failed turn: its code and one human line. A chat may be a group, so the
 * failure's detail (pi's stderr, paths, a provider's error body) stays in the log and the stored
 * message; nothing the backend wrote reaches the chat but a code shaped like one.
 */
import type { TurnFailure } from "../../chat/turn-observer";
import type { Platform } from "../adapter";

// A Map, not an object literal: a code such as `constructor` must not find a prototype member.
const REASONS = new Map<string, string>([
  ["llm_error", "the model provider returned an error"],
  ["process_crashed", "the agent's process stopped unexpectedly"],
  ["timeout", "the turn ran too long and was stopped"],
  ["aborted", "the turn was stopped"],
  ["busy", "the agent was still busy with another turn"],
  ["backend_capacity", "the agent's server has no room for another conversation right now"],
  ["capacity", "the agent's server has no room for another conversation right now"],
  ["backend_lost_turn", "the agent's server lost track of this turn (it may have restarted)"],
  ["shutting_down", "the agent's server was restarting"],
  ["backend_unreachable", "the connection to the agent's server was lost"],
  ["unreachable", "the agent's server could not be reached"],
  ["backend_rejected", "the agent's server refused the request"],
  ["unauthorized", "the agent's server did not accept the relay's credentials"],
  ["config_error", "the relay is not configured correctly; its operator can see why in the log"],
  ["internal_error", "something went wrong in the relay"],
  ["attachment_unavailable", "your attachment could not be downloaded from the chat platform; send it again"],
  ["attachment_too_large", "your attachment is too large (images up to 5 MiB, files up to 10 MiB)"],
]);

/** For a code without its own line (a new backend code, `http_502`, …). */
const FALLBACK_REASON = "something went wrong";

/** `⚠️ The agent failed (llm_error): the model provider returned an error. Try again, or /new to start over.` */
export function failureNotice(failure: Pick<TurnFailure, "code">, platform: Platform): string {
  // The code comes from the backend too: show it only when it looks like one.
  const code = /^[a-z0-9_]{1,40}$/.test(failure.code) ? failure.code : "error";
  // Slack's client swallows a leading slash, so there the command is a plain word.
  const restart = platform === "slack" ? `"new"` : "/new";
  return `⚠️ The agent failed (${code}): ${REASONS.get(code) ?? FALLBACK_REASON}. Try again, or ${restart} to start over.`;
}

/** Said once per backend outage, in the held message's reply (edited into the reply when the turn starts). */
export const OUTAGE_NOTICE = "⏳ The agent's machine is unreachable; your message is kept and will be answered when it is back.";
