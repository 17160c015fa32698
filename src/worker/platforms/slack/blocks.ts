/** Slack Block Kit for our choices: a section with the text, then actions blocks of buttons. */
import type { Choice } from "../../chat/agent-commands";

/** Block Kit limits: section text 3000 characters, button text 75, actions block 25 elements. */
const MAX_SECTION_CHARS = 3000;
const MAX_BUTTON_CHARS = 75;
const MAX_ACTIONS = 25;

export function textBlock(mrkdwn: string): object {
  return { type: "section", text: { type: "mrkdwn", text: mrkdwn.slice(0, MAX_SECTION_CHARS) || " " } };
}

/** One actions block per row; each button's `value` is the choice's data, which comes back in block_actions. */
export function choiceBlocks(choices: Choice[][]): object[] {
  return choices
    .filter((row) => row.length > 0)
    .map((row, r) => ({
      type: "actions",
      block_id: `evie_choices_${r}`,
      elements: row.slice(0, MAX_ACTIONS).map((choice, i) => ({
        type: "button",
        action_id: `evie_choice_${r}_${i}`,
        text: { type: "plain_text", text: choice.label.slice(0, MAX_BUTTON_CHARS) },
        value: choice.data,
      })),
    }));
}
