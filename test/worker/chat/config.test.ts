import { env, runInDurableObject } from "cloudflare:test";
import { expect, it } from "vitest";
import { freshChat, send, settled } from "../helpers";

it("fails a message with a reason naming the missing setting, and keeps the chat working", async () => {
  const chat = freshChat();
  const stub = env.CHAT_SESSION.getByName(`http:${chat}`);
  // This object alone loses its backend token, as if PI_BACKEND_TOKEN had never been set.
  await runInDurableObject(stub, (instance) => {
    (instance as unknown as { env: unknown }).env = { ...env, PI_BACKEND_TOKEN: undefined };
  });
  const failed = await settled(chat, (await send(chat, "anyone?")).messageId);
  expect(failed.state).toBe("failed");
  expect(failed.error).toContain("PI_BACKEND_TOKEN is required");

  await runInDurableObject(stub, (instance) => {
    (instance as unknown as { env: unknown }).env = env;
  });
  const ok = await settled(chat, (await send(chat, "now?")).messageId);
  expect(ok).toMatchObject({ state: "done", reply: "echo: now?" });
});
