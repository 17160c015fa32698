/** Dialog buttons, agent commands, tool lines and notifications in Telegram, against the fake Bot API and fake backend. */
import { describe, expect, it } from "vitest";
import type { UiRequest } from "../../../../src/shared/protocol";
import type { RecordedCall } from "../../../fixtures/fake-platform-api";
import { backendLog, script, waitFor } from "../../helpers";
import { postTelegram, randomId, settledMessage, telegramButtonPress, telegramCalls, telegramCommand, telegramUpdate } from "../helpers";

type Keyboard = { inline_keyboard: { text: string; callback_data: string }[][] };
const keyboardOf = (call: RecordedCall) => (call.body.reply_markup as Keyboard | undefined)?.inline_keyboard ?? [];

/** The first sendMessage in the chat that carries buttons. */
const buttonsMessage = (chatId: number) =>
  waitFor(async () => (await telegramCalls(chatId)).find((c) => c.method === "sendMessage" && keyboardOf(c).length > 0), 15_000, "buttons");

async function startDialog(dialog: Omit<UiRequest, "id">, dialogTimeoutMs?: number) {
  const chatId = randomId();
  const chatKey = `telegram:${chatId}`;
  await script(chatKey, { deltas: ["checking"], dialog, dialogTimeoutMs });
  const update = telegramUpdate({ chatId, text: "please clean up" });
  expect((await postTelegram(update)).status).toBe(200);
  const prompt = await buttonsMessage(chatId);
  return { chatId, chatKey, messageId: `tg-${update.update_id}`, prompt };
}

describe("extension dialogs in Telegram", () => {
  it("shows a confirm as Yes/No buttons; a press answers it once, acknowledges, and the buttons become the outcome", async () => {
    const { chatId, chatKey, messageId, prompt } = await startDialog({ kind: "confirm", title: "Allow rm?", message: "rm -rf build" });
    expect(prompt.body.text).toContain("Allow rm?");
    const buttons = keyboardOf(prompt).flat();
    expect(buttons.map((b) => b.text)).toEqual(["Yes", "No"]);
    expect(buttons[0]!.callback_data).toMatch(/^ui:[0-9a-f]{12}:y$/);
    const press = telegramButtonPress(chatId, 1, buttons[0]!.callback_data);
    expect((await postTelegram(press)).status).toBe(200);
    // Telegram delivers the same update again: nothing more happens.
    expect((await postTelegram(press)).status).toBe(200);
    const record = await settledMessage(chatKey, messageId, 25_000);
    expect(record).toMatchObject({ state: "done", reply: 'checking\n(answer: {"confirmed":true})' });
    const answers = (await backendLog(chatKey)).filter((e) => e.kind === "ui_answer");
    expect(answers.map((a) => a.answer)).toEqual([{ confirmed: true }]);
    const acks = await telegramCalls(press.callback_query.id as unknown as number);
    expect(acks.map((c) => c.body.text)).toEqual(["Answered: Yes"]);
    const closed = await waitFor(
      async () => (await telegramCalls(chatId)).find((c) => c.method === "editMessageText" && String(c.body.text).includes("✅ Yes")),
      10_000,
      "the dialog message to show the answer",
    );
    expect(keyboardOf(closed)).toEqual([]);
  });

  it("ignores a press from someone not on ALLOWED_USERS (a forged answer), and a press without the webhook secret is 401", async () => {
    const { chatId, chatKey, prompt } = await startDialog({ kind: "confirm", title: "Deploy?" });
    const yes = keyboardOf(prompt).flat()[0]!.callback_data;
    expect((await postTelegram(telegramButtonPress(chatId, 1, yes), "wrong-secret-123456")).status).toBe(401);
    const stranger = telegramButtonPress(chatId, 1, yes, { userId: 4242 });
    expect((await postTelegram(stranger)).status).toBe(200);
    expect(await telegramCalls(stranger.callback_query.id as unknown as number)).toMatchObject([
      { method: "answerCallbackQuery", body: { text: "You are not allowed to answer here." } },
    ]);
    expect((await backendLog(chatKey)).filter((e) => e.kind === "ui_answer")).toEqual([]);
    // The owner can still answer.
    const no = keyboardOf(prompt).flat()[1]!.callback_data;
    await postTelegram(telegramButtonPress(chatId, 1, no));
    await waitFor(async () => (await backendLog(chatKey)).some((e) => e.kind === "ui_answer"), 10_000, "the answer");
    expect((await backendLog(chatKey)).filter((e) => e.kind === "ui_answer").map((e) => e.answer)).toEqual([{ confirmed: false }]);
  });

  it("a select shows one button per option; an input is answered by the next message, which is not a new prompt", async () => {
    const select = await startDialog({ kind: "select", title: "Which branch?", options: ["main", "dev"] });
    expect(keyboardOf(select.prompt).map((row) => row.map((b) => b.text))).toEqual([["main"], ["dev"], ["Cancel"]]);
    await postTelegram(telegramButtonPress(select.chatId, 1, keyboardOf(select.prompt)[1]![0]!.callback_data));
    expect(await settledMessage(select.chatKey, select.messageId, 25_000)).toMatchObject({ reply: 'checking\n(answer: {"value":"dev"})' });

    const input = await startDialog({ kind: "input", title: "Commit message?", placeholder: "one line" });
    expect(input.prompt.body.text).toContain("Reply with your answer");
    const reply = telegramUpdate({ chatId: input.chatId, text: "fix the build" });
    await postTelegram(reply);
    expect(await settledMessage(input.chatKey, input.messageId, 25_000)).toMatchObject({
      reply: 'checking\n(answer: {"value":"fix the build"})',
    });
    const log = await backendLog(input.chatKey);
    expect(log.filter((e) => e.kind === "submit")).toHaveLength(1);
    expect(await settledMessage(input.chatKey, `tg-${reply.update_id}`)).toMatchObject({ state: "done" });
  });

  it("a dialog nobody answers is cancelled when the backend times it out; the message says so", async () => {
    const { chatId, chatKey, messageId } = await startDialog({ kind: "confirm", title: "Wait?" }, 500);
    expect(await settledMessage(chatKey, messageId, 25_000)).toMatchObject({ state: "done", reply: 'checking\n(answer: "timeout")' });
    const closed = await waitFor(
      async () => (await telegramCalls(chatId)).find((c) => c.method === "editMessageText" && String(c.body.text).includes("⏱")),
      10_000,
      "the dialog message to say it timed out",
    );
    expect(closed.body.text).toContain("No answer in time: cancelled");
    expect(keyboardOf(closed)).toEqual([]);
  });
});

describe("/stop during a dialog", () => {
  it("cancels the open dialog, the buttons become 'Cancelled' and the turn ends stopped", async () => {
    const { chatId, chatKey, messageId } = await startDialog({ kind: "confirm", title: "Stop me?" });
    expect((await postTelegram(telegramCommand(chatId, "/stop"))).status).toBe(200);
    // "failed" with aborted today; a dedicated "aborted" state may replace it.
    expect((await settledMessage(chatKey, messageId, 25_000)).state).not.toBe("done");
    const closed = await waitFor(
      async () => (await telegramCalls(chatId)).find((c) => c.method === "editMessageText" && String(c.body.text).includes("✖️ Cancelled")),
      10_000,
      "the dialog message to say it was cancelled",
    );
    expect(keyboardOf(closed)).toEqual([]);
    expect((await backendLog(chatKey)).filter((e) => e.kind === "ui_answer")).toEqual([]);
  });
});

describe("agent commands in Telegram", () => {
  it("/model lists models as buttons; a press switches and the list becomes the outcome", async () => {
    const chatId = randomId();
    expect((await postTelegram(telegramCommand(chatId, "/model"))).status).toBe(200);
    const list = await buttonsMessage(chatId);
    expect(list.body.text).toContain("Fake One (fake/fake-1)");
    const buttons = keyboardOf(list).flat();
    expect(buttons.map((b) => b.text)).toEqual(["✓ Fake One", "Fake Two"]);
    await postTelegram(telegramButtonPress(chatId, 1000, buttons[1]!.callback_data));
    const log = await backendLog(`telegram:${chatId}`);
    expect(log.filter((e) => e.kind === "set_model").map((e) => e.detail)).toEqual(["fake/fake-2"]);
    const edit = (await telegramCalls(chatId)).find((c) => c.method === "editMessageText");
    expect(edit?.body.text).toContain("Model: Fake Two (fake/fake-2).");
    expect(keyboardOf(edit!)).toEqual([]);
  });

  it("/model <name>, /thinking <level>, /stats and /compact answer in the chat", async () => {
    const chatId = randomId();
    for (const command of ["/model fake-2", "/thinking high", "/stats", "/compact"]) {
      expect((await postTelegram(telegramCommand(chatId, command))).status).toBe(200);
    }
    const texts = (await telegramCalls(chatId)).filter((c) => c.method === "sendMessage").map((c) => String(c.body.text));
    expect(texts[0]).toContain("Model: Fake Two (fake/fake-2).");
    expect(texts[1]).toContain("Thinking level: high.");
    expect(texts[2]).toContain("Tokens: 1,200 in, 340 out");
    expect(texts[3]).toContain("Compacted the conversation");
  });
});

describe("tool lines and notifications in Telegram", () => {
  const tools = [{ name: "bash", args: { command: "ls -la src" }, ok: true }];

  it("streams each tool call as one line that the final answer replaces; /verbose off drops them", async () => {
    const chatId = randomId();
    const chatKey = `telegram:${chatId}`;
    await script(chatKey, { tools, deltas: ["Here ", "it ", "is."], deltaDelayMs: 700, notify: "gate: allowed" });
    const update = telegramUpdate({ chatId, text: "list files" });
    await postTelegram(update);
    await settledMessage(chatKey, `tg-${update.update_id}`, 25_000);
    const calls = (await telegramCalls(chatId)).filter((c) => c.method === "sendMessage" || c.method === "editMessageText");
    const texts = calls.map((c) => String(c.body.text));
    expect(texts.some((t) => t.includes("🔧 bash: ls -la src"))).toBe(true);
    expect(texts.some((t) => t.includes("ℹ️ gate: allowed"))).toBe(true);
    const streamed = calls.filter((c) => !String(c.body.text).includes("ℹ️"));
    expect(String(streamed.at(-1)!.body.text)).toBe("Here it is.");

    await postTelegram(telegramCommand(chatId, "/verbose off"));
    const second = telegramUpdate({ chatId, text: "again" });
    const before = (await telegramCalls(chatId)).length;
    await postTelegram(second);
    await settledMessage(chatKey, `tg-${second.update_id}`, 25_000);
    const later = (await telegramCalls(chatId)).slice(before).map((c) => String(c.body.text ?? ""));
    expect(later.some((t) => t.includes("🔧"))).toBe(false);
  });
});
