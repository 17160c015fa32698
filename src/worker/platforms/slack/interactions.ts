/**
 * Slack interactivity: a button press arrives as a signed form POST whose `payload` is a
 * `block_actions` JSON (https://api.slack.com/reference/interaction-payloads/block-actions). The
 * chat is the conversation the buttons were posted in: the DM, or the channel thread.
 */
import { type Inbound, ignore, MalformedPayloadError } from "../adapter";
import { encodeChatKey } from "../chat-key";

interface BlockActions {
  type: string;
  user?: { id?: string };
  team?: { id?: string } | null;
  channel?: { id?: string };
  container?: { message_ts?: string; thread_ts?: string };
  message?: { ts?: string; thread_ts?: string };
  actions?: { action_id?: string; value?: string; action_ts?: string }[];
  trigger_id?: string;
}

export function parseInteraction(raw: string): Inbound {
  let payload: BlockActions;
  try {
    payload = JSON.parse(raw) as BlockActions;
  } catch {
    throw new MalformedPayloadError("invalid_json", "payload is not valid JSON");
  }
  if (payload?.type !== "block_actions") return ignore(`interaction ${payload?.type}`);
  const action = payload.actions?.[0];
  const [team, channel, user] = [payload.team?.id, payload.channel?.id, payload.user?.id];
  const messageTs = payload.message?.ts ?? payload.container?.message_ts;
  if (!team || !channel || !user || !messageTs || !action?.value)
    throw new MalformedPayloadError("invalid_interaction", "block_actions needs team, channel, user, message and an action value");
  const threadTs = channel.startsWith("D") ? undefined : (payload.message?.thread_ts ?? payload.container?.thread_ts ?? messageTs);
  return {
    kind: "button",
    chatKey: encodeChatKey({ platform: "slack", team, channel, ...(threadTs ? { threadTs } : {}) }),
    userId: `slack:${user}`,
    // Slack retries an interaction it got no 200 for with the same action_ts.
    pressId: `slack-${messageTs}-${action.action_id ?? ""}-${action.action_ts ?? payload.trigger_id ?? ""}`,
    data: action.value,
    buttonsMessageId: messageTs,
    target: { platform: "slack", channel, user, ...(threadTs ? { threadTs } : {}) },
  };
}
