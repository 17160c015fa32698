/** Splitting long replies into messages, and the preview a streaming message shows. */
import { describe, expect, it } from "vitest";
import { previewOf, splitText } from "../../../../src/worker/platforms/delivery/split";

describe("splitText", () => {
  it("keeps a short text whole", () => {
    expect(splitText("hello", 10)).toEqual(["hello"]);
  });

  it("cuts at paragraph boundaries first, then lines", () => {
    const paragraphs = Array.from({ length: 6 }, (_, i) => `${i}`.repeat(30));
    const parts = splitText(paragraphs.join("\n\n"), 100);
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(100);
    expect(parts.join("\n\n")).toBe(paragraphs.join("\n\n"));
    const lines = Array.from({ length: 6 }, (_, i) => `${i}`.repeat(30));
    expect(splitText(lines.join("\n"), 100).join("\n")).toBe(lines.join("\n"));
  });

  it("cuts hard when there is no boundary, never inside a surrogate pair", () => {
    const text = "😀".repeat(100);
    const parts = splitText(text, 51);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(51);
      expect(part).not.toMatch(/[\uD800-\uDBFF]$/);
    }
    expect(parts.join("")).toBe(text);
  });

  it("closes a code fence cut in two and reopens it in the next part", () => {
    const code = Array.from({ length: 40 }, (_, i) => `line_${i} = ${i}`).join("\n");
    const parts = splitText(`Here:\n\`\`\`py\n${code}\n\`\`\``, 200);
    expect(parts.length).toBeGreaterThan(2);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(200);
      expect((part.match(/^```/gm) ?? []).length % 2).toBe(0);
    }
    expect(parts[1]!.startsWith("```py\n")).toBe(true);
  });

  it("gives a longer text the same first parts (greedy), so streamed parts stay put", () => {
    const base = Array.from({ length: 20 }, (_, i) => `paragraph ${i} ${"z".repeat(40)}`).join("\n\n");
    const short = splitText(base, 300);
    const long = splitText(`${base}\n\nmore text at the end`, 300);
    expect(long.slice(0, short.length - 1)).toEqual(short.slice(0, -1));
  });
});

describe("previewOf", () => {
  it("shows the text while it fits, then its latest part after an ellipsis", () => {
    expect(previewOf("short", 100)).toBe("short");
    const long = Array.from({ length: 50 }, (_, i) => `line ${i}`).join("\n");
    const preview = previewOf(long, 100);
    expect(preview.length).toBeLessThanOrEqual(100);
    expect(preview.startsWith("…\n")).toBe(true);
    expect(preview.endsWith("line 49")).toBe(true);
  });
});
