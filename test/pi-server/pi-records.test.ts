/** Reading pi's stdout: `\n`-only framing and the message_update fast path agree with JSON.parse. */
import { describe, expect, it } from "vitest";
import { JsonlSplitter } from "../../src/pi-server/jsonl";
import { fastMessageUpdate, parsePiLine } from "../../src/pi-server/pi-records";

/** A message_update line shaped exactly like pi 0.73's. */
function updateLine(type: string, delta: string | undefined, text: string): string {
  const message = { role: "assistant", content: [{ type: "text", text }], api: "openai-completions", stopReason: "stop" };
  const event = delta === undefined ? { type, contentIndex: 0, partial: message } : { type, contentIndex: 0, delta, partial: message };
  return JSON.stringify({ type: "message_update", message, assistantMessageEvent: event });
}

describe("pi's stdout", () => {
  it("splits on \\n only, keeping U+2028/U+2029 inside records, across chunk boundaries", () => {
    const lines: string[] = [];
    const splitter = new JsonlSplitter((line) => lines.push(line));
    const record = JSON.stringify({ type: "x", text: "a\u2028b\u2029c é" });
    const bytes = Buffer.from(`${record}\r\n${record}\n${record}`);
    // Feed byte by byte so multi-byte characters are split too.
    for (const byte of bytes) splitter.push(Buffer.from([byte]));
    splitter.end();
    expect(lines).toEqual([record, record, record]);
  });

  it.each([
    ["plain", "Hello"],
    ["quotes and backslashes", 'say "hi" \\ "assistantMessageEvent":{"type":"x"}'],
    ["line separators", "a\u2028b\u2029c"],
    ["unicode escapes", "emoji 🎉 and \u0001 control"],
    ["an empty delta", ""],
  ])("reads a text_delta with %s exactly as JSON.parse does", (_, delta) => {
    const line = updateLine("text_delta", delta, `earlier "assistantMessageEvent":{"type":"text_delta" text${delta}`);
    const full = JSON.parse(line) as { assistantMessageEvent: { delta: string } };
    expect(fastMessageUpdate(line)).toEqual({
      type: "message_update",
      assistantMessageEvent: { type: "text_delta", delta: full.assistantMessageEvent.delta },
    });
  });

  it("reads other update kinds without their payload", () => {
    expect(parsePiLine(updateLine("toolcall_delta", '{"command":', "x"))).toEqual({
      type: "message_update",
      assistantMessageEvent: { type: "toolcall_delta" },
    });
    expect(parsePiLine(updateLine("text_start", undefined, ""))).toEqual({
      type: "message_update",
      assistantMessageEvent: { type: "text_start" },
    });
  });

  it("falls back to a full parse for anything else, and ignores non-JSON", () => {
    expect(parsePiLine('{"type":"agent_end","messages":[]}')).toEqual({ type: "agent_end", messages: [] });
    const reordered = JSON.stringify({ type: "message_update", assistantMessageEvent: { delta: "x", type: "text_delta" } });
    expect(parsePiLine(reordered)).toEqual({ type: "message_update", assistantMessageEvent: { delta: "x", type: "text_delta" } });
    expect(parsePiLine("not json")).toBeUndefined();
  });
});
