/**
 * A press of one of our buttons, after the platform verified the request: authorized like a
 * message (ALLOWED_USERS), handled once per press id (a redelivered callback or interaction does
 * nothing the second time), then either a dialog's answer (`ui:`) or a command choice (`cmd:`).
 * The platform's acknowledgement and any reply go out after the webhook's response.
 */
import { log } from "../../shared/log";
import { COMMAND_DATA_PREFIX } from "../chat/agent-commands";
import { DIALOG_DATA_PREFIX } from "../chat/interactions";
import { backendConfig } from "../config/config";
import type { ButtonPress, PlatformAdapter, PlatformEnv } from "./adapter";
import { isAllowed } from "./allowlist";
import { COMMAND_CLAIM_MS } from "./claims";
import { parseCommand } from "./command-names";
import { runCommand } from "./commands";

/** Handles a press; `later` runs work after the response. */
export async function handleButtonPress(
  env: PlatformEnv,
  adapter: PlatformAdapter,
  press: ButtonPress,
  later: (what: string, task: () => Promise<unknown>) => void,
): Promise<void> {
  const outbound = adapter.outbound(env);
  const fields = { platform: adapter.platform, chat: press.chatKey, user: press.userId, pressId: press.pressId };
  if (!isAllowed(env, press.userId)) {
    log.warn("button.not_allowed", { ...fields, reason: "not in ALLOWED_USERS; press ignored" });
    later("button refusal", () => outbound.acknowledge(press.pressId, "You are not allowed to answer here."));
    return;
  }
  const session = env.CHAT_SESSION.getByName(press.chatKey);
  if (!(await session.claim(`button:${press.pressId}`, COMMAND_CLAIM_MS))) {
    log.info("button.repeated", { ...fields, reason: "already handled" });
    return;
  }
  if (press.data.startsWith(DIALOG_DATA_PREFIX)) {
    backendConfig(env);
    later("dialog answer", async () => {
      const result = await session.pressDialogButton(press.data);
      log.info("button.answered", { ...fields, ok: result.ok, ...(result.ok ? {} : { code: result.code }) });
      // The dialog's message itself is edited when the backend closes the dialog (ui_closed).
      await outbound.acknowledge(press.pressId, result.ok ? `Answered: ${result.label}` : result.message);
    });
    return;
  }
  const [, name = "", ...rest] = press.data.split(":");
  const command = press.data.startsWith(COMMAND_DATA_PREFIX) ? parseCommand(name) : null;
  if (!command) {
    later("button refusal", () => outbound.acknowledge(press.pressId, "That button does nothing any more."));
    return;
  }
  const args = rest.join(":");
  later(`/${command} button`, async () => {
    const message = { kind: "message" as const, chatKey: press.chatKey, userId: press.userId, messageId: press.pressId };
    const reply = await runCommand(env, { ...message, text: `${command} ${args}`, command, args, target: press.target });
    // The choice is made: the list of buttons becomes the outcome.
    await outbound.closeChoices(press.target, press.buttonsMessageId, reply.text);
    await outbound.acknowledge(press.pressId, reply.text);
  });
}
