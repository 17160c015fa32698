/** Telegram inline keyboards for our choices: https://core.telegram.org/bots/api#inlinekeyboardmarkup */
import type { InlineKeyboardMarkup } from "@grammyjs/types";
import type { Choice } from "../../chat/agent-commands";

/** Telegram's limit for a button's callback_data. */
export const MAX_CALLBACK_DATA_BYTES = 64;

/** Rows of buttons whose presses come back as callback queries carrying `data`. */
export function inlineKeyboard(choices: Choice[][]): InlineKeyboardMarkup {
  return {
    inline_keyboard: choices.map((row) =>
      row
        .filter((c) => new TextEncoder().encode(c.data).length <= MAX_CALLBACK_DATA_BYTES)
        .map((c) => ({ text: c.label.slice(0, 64), callback_data: c.data })),
    ),
  };
}

/** No buttons: an edit with this markup removes a message's keyboard. */
export const NO_KEYBOARD: InlineKeyboardMarkup = { inline_keyboard: [] };
