/**
 * A ChatSession knows its chat key from its own name (ctx.id.name), and from its storage when
 * workerd wakes it without one (as an alarm after a restart does under wrangler dev).
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { expect, it } from "vitest";
import { backendLog, freshChat, settled } from "../helpers";

it("answers with the key it was reached by, and runs the turn under it from the alarm", async () => {
  const chatId = freshChat("name");
  const stub = env.CHAT_SESSION.getByName(`http:${chatId}`);
  const record = (await stub.enqueue({ text: "who am I?" })).record!;
  expect(record.chat).toBe(`http:${chatId}`);
  await runInDurableObject(stub, (_instance, state) => expect(state.id.name).toBe(`http:${chatId}`));
  await runDurableObjectAlarm(stub);
  const done = await settled(chatId, record.messageId);
  expect(done).toMatchObject({ state: "done", reply: "echo: who am I?" });
  expect((await backendLog(`http:${chatId}`)).filter((e) => e.kind === "submit")).toHaveLength(1);
});

it("still knows its key when woken without a name, from the copy stored with its first message", async () => {
  const chatId = freshChat("nameless");
  const key = `http:${chatId}`;
  const named = env.CHAT_SESSION.getByName(key);
  const record = (await named.enqueue({ text: "remember me" })).record!;
  await settled(chatId, record.messageId);
  const id = named.id.toString();
  await runInDurableObject(named, (_instance, state) => state.abort("restart")).catch(() => {});

  // The same object, constructed afresh from an id that carries no name.
  const nameless = env.CHAT_SESSION.get(env.CHAT_SESSION.idFromString(id));
  expect(await runInDurableObject(nameless, (_instance, state) => state.id.name)).toBeUndefined();
  expect(await nameless.getMessage(record.messageId)).toMatchObject({ chat: key, state: "done", reply: "echo: remember me" });
  expect(await nameless.snapshot()).toMatchObject({ chat: key });
});

it("refuses a message, storing nothing, when reached without a name and never named before", async () => {
  const stub = env.CHAT_SESSION.get(env.CHAT_SESSION.newUniqueId());
  const refused = await stub.enqueue({ text: "hello", messageId: "m1" }).then(
    () => "accepted",
    (err: Error) => err.message,
  );
  expect(refused).toMatch(/no name/);
  expect(await stub.getMessage("m1").catch(() => null)).toBeNull();
  expect(await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm())).toBeNull();
});
