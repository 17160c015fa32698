import { describe, expect, it } from "vitest";
import { chooseBackend } from "../../../src/worker/chat/backend-choice";
import type { ChatMeta } from "../../../src/worker/chat/chat-meta";
import { hostLabel, rendezvousPick } from "../../../src/worker/pi-client/rendezvous";

const A = "https://a.example.com";
const B = "https://b.example.com:8443";
const C = "https://c.example.com";
const keys = Array.from({ length: 3000 }, (_, i) => `telegram:${i}`);

function fakeMeta(host: string | null, backend: "live" | "released" = "live") {
  const meta = {
    host,
    backend,
    generation: 0,
    dropBackend() {
      meta.backend = "released";
      meta.generation++;
    },
  };
  return meta;
}

describe("rendezvous hashing of chats onto pi hosts", () => {
  it("spreads chats evenly, and adding a host moves only the chats that now go to it", () => {
    const before = keys.map((k) => rendezvousPick([A, B], k));
    expect(before.filter((u) => u === A).length).toBeGreaterThan(1300);
    expect(before.filter((u) => u === B).length).toBeGreaterThan(1300);
    const after = keys.map((k) => rendezvousPick([A, B, C], k));
    for (const [i, u] of after.entries()) if (u !== C) expect(u).toBe(before[i]);
    expect(after.filter((u) => u === C).length).toBeGreaterThan(800);
    // The order the hosts are listed in does not matter.
    expect(keys.map((k) => rendezvousPick([C, B, A], k))).toEqual(after);
  });

  it("names a host by host and port only", () => {
    expect(hostLabel("https://user:pw@b.example.com:8443/base/")).toBe("b.example.com:8443");
  });
});

describe("a chat's backend", () => {
  it("is remembered once picked, even when a new host would win the rendezvous now", () => {
    const key = keys.find((k) => rendezvousPick([A, B, C], k) === C)!;
    const first = rendezvousPick([A, B], key);
    const meta = fakeMeta(null);
    expect(chooseBackend(meta as unknown as ChatMeta, [A, B], key)).toBe(first);
    expect(meta.host).toBe(first);
    expect(chooseBackend(meta as unknown as ChatMeta, [A, B, C], key)).toBe(first);
    expect(meta.generation).toBe(0);
  });

  it("moves when its host is no longer configured, dropping the old session handle", () => {
    const meta = fakeMeta("https://gone.example.com");
    const picked = chooseBackend(meta as unknown as ChatMeta, [A, B], "http:x");
    expect(picked).toBe(rendezvousPick([A, B], "http:x"));
    expect(meta).toMatchObject({ host: picked, backend: "released", generation: 1 });
  });
});
