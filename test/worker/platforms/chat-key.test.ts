/** The chat-key codec: every platform's key round-trips, and nothing else decodes. */
import { describe, expect, it } from "vitest";
import { isValidId } from "../../../src/shared/protocol";
import { type ChatAddress, decodeChatKey, encodeChatKey, InvalidChatAddressError } from "../../../src/worker/platforms/chat-key";

const addresses: [ChatAddress, string][] = [
  [{ platform: "http", chatId: "a-chat_1" }, "http:a-chat_1"],
  [{ platform: "telegram", chatId: 1001 }, "telegram:1001"],
  [{ platform: "telegram", chatId: -1001234567890 }, "telegram:-1001234567890"],
  [{ platform: "slack", team: "T061EG9R6", channel: "D0123ABC" }, "slack:T061EG9R6:D0123ABC"],
  [
    { platform: "slack", team: "T061EG9R6", channel: "C0123ABC", threadTs: "1700000000.000100" },
    "slack:T061EG9R6:C0123ABC:1700000000.000100",
  ],
];

describe("chat key", () => {
  it.each(addresses)("encodes %j as %s, a valid backend session id, and decodes it back", (address, key) => {
    expect(encodeChatKey(address)).toBe(key);
    expect(isValidId(key)).toBe(true);
    expect(decodeChatKey(key)).toEqual(address);
  });

  it.each([
    { platform: "http", chatId: "has space" },
    { platform: "http", chatId: "" },
    { platform: "http", chatId: "x".repeat(65) },
    { platform: "telegram", chatId: 1.5 },
    { platform: "slack", team: "T1:x", channel: "D1" },
    { platform: "slack", team: "T1", channel: "C1", threadTs: "not-a-ts" },
  ] as ChatAddress[])("refuses to encode %j", (address) => {
    expect(() => encodeChatKey(address)).toThrow(InvalidChatAddressError);
  });

  it.each([
    "",
    "http",
    "http:",
    "http:a:b",
    "telegram:abc",
    "telegram:1:2",
    "slack:T1",
    "slack:T1:C1:x:y",
    "notices:telegram:1001",
    "mail:a",
  ])("does not decode %j", (key) => {
    expect(decodeChatKey(key)).toBeNull();
  });
});
