import { env, runInDurableObject } from "cloudflare:test";
import { expect, it } from "vitest";
import { backendLog, freshChat, send, settled } from "../helpers";

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

it("starts no turn against a backend reached over plain http:// to another machine", async () => {
  const chat = freshChat();
  const stub = env.CHAT_SESSION.getByName(`http:${chat}`);
  // The route checked its own bindings; this object alone is configured to leak (as after a config change).
  await runInDurableObject(stub, (instance) => {
    (instance as unknown as { env: unknown }).env = { ...env, PI_BACKEND_URL: "http://192.0.2.10:8788" };
  });
  const failed = await settled(chat, (await send(chat, "anyone?")).messageId);
  expect(failed.state).toBe("failed");
  expect(failed.error).toMatch(/^config_error: PI_BACKEND_URL uses plain http:\/\/ to 192\.0\.2\.10/);
  expect(await backendLog(`http:${chat}`)).toEqual([]);
});
