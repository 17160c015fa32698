/** Random and malformed input to the chats routes: always a 2xx or a 4xx JSON error, never a 500. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { api, freshChat, send, settled } from "../helpers";

describe("the chats routes under random input", () => {
  it("answers any query string on the ledger with 200 or 400 invalid_field", async () => {
    const chat = freshChat("fuzz");
    await settled(chat, (await send(chat, "seed")).messageId);
    const param = fc.oneof(fc.string(), fc.integer().map(String), fc.constantFrom("done", "queued", "0", "200", "201", "-1", "1e2"));
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.constantFrom("state", "limit", "cursor", "other"), param), async (query) => {
        const res = await api(`/api/chats/${chat}/messages?${new URLSearchParams(query)}`);
        expect([200, 400]).toContain(res.status);
        const body = (await res.json()) as { error?: { code: string }; messages?: unknown[] };
        if (res.status === 400) expect(body.error?.code).toBe("invalid_field");
        else expect(Array.isArray(body.messages)).toBe(true);
      }),
      { numRuns: 100 },
    );
  }, 90_000);

  // Fewer runs: each valid PATCH is a storage commit, slow on a shared disk.
  it("answers any JSON body on PATCH with 200 or 400, and stores only a valid mode", async () => {
    const chat = freshChat("fuzz");
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue(), fc.record({ queueMode: fc.oneof(fc.string(), fc.jsonValue()) })), async (body) => {
        const res = await api(`/api/chats/${chat}`, { method: "PATCH", json: body });
        expect([200, 400]).toContain(res.status);
        await res.body?.cancel();
        const { queueMode } = (await (await api(`/api/chats/${chat}`)).json()) as { queueMode: string };
        expect(["followup", "collect", "steer", "interrupt"]).toContain(queueMode);
      }),
      { numRuns: 40 },
    );
  }, 90_000);
});
