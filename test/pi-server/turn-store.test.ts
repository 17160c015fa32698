import { describe, expect, it } from "vitest";
import { Turn } from "../../src/pi-server/turn";
import { TurnStore } from "../../src/pi-server/turn-store";

describe("TurnStore", () => {
  it("forgets expired turns when adding, sweeping at most once a minute", () => {
    let now = 0;
    const store = new TurnStore(10_000, () => now);
    const old = new Turn("s", "old", undefined, () => now);
    store.add(old);
    old.push({ type: "turn_end", text: "" });
    now = 30_000; // expired, but the last sweep was under a minute ago
    store.add(new Turn("s", "a", undefined, () => now));
    expect(store.get("s", "old")).toBe(old);
    now = 60_000;
    store.add(new Turn("s", "b", undefined, () => now));
    expect(store.get("s", "old")).toBeUndefined();
    expect(store.get("s", "a")).toBeDefined();
  });
});
