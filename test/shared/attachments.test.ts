/** Attachment names, sizes and base64 (src/shared/attachments.ts): the rules both runtimes enforce. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  base64DecodedBytes,
  formatBytes,
  fromBase64,
  isBase64,
  isSafeAttachmentName,
  MAX_ATTACHMENT_NAME_CHARS,
  sanitizeAttachmentName,
  toBase64,
} from "../../src/shared/attachments";

describe("sanitizeAttachmentName", () => {
  it.each([
    ["report.pdf", "report.pdf"],
    ["../../etc/passwd", "passwd"],
    ["C:\\Users\\ada\\notes.txt", "notes.txt"],
    [".bashrc", "bashrc"],
    ["..", "file"],
    [".", "file"],
    ["dir/", "file"],
    ["-rf", "rf"],
    ["a\u0000b\nc.txt", "a_b_c.txt"],
    ['what?<>:"|*.md', "what_______.md"],
    ["Отчёт 2026.pdf", "Отчёт 2026.pdf"],
    ["name. ", "name"],
  ])("%j → %j", (raw, safe) => {
    expect(sanitizeAttachmentName(raw)).toBe(safe);
  });

  it("keeps the extension when it shortens a long name", () => {
    const name = sanitizeAttachmentName(`${"x".repeat(200)}.tar.gz`);
    expect(name.length).toBeLessThanOrEqual(MAX_ATTACHMENT_NAME_CHARS);
    expect(name.endsWith(".gz")).toBe(true);
  });

  it("always gives a safe, idempotent plain name: no separator, no leading dot, never . or ..", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 300 }), (raw) => {
        const name = sanitizeAttachmentName(raw);
        // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what must not be there
        expect(name).not.toMatch(/[/\\\u0000-\u001f]/);
        expect(name.startsWith(".")).toBe(false);
        expect(name.length).toBeGreaterThan(0);
        expect(name.length).toBeLessThanOrEqual(MAX_ATTACHMENT_NAME_CHARS);
        expect(sanitizeAttachmentName(name)).toBe(name);
        expect(isSafeAttachmentName(name)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("base64", () => {
  it("round-trips bytes of any length and computes the decoded size without decoding", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70_000 }), (bytes) => {
        const data = toBase64(bytes);
        expect(data).toBe(Buffer.from(bytes).toString("base64"));
        expect(isBase64(data)).toBe(true);
        expect(base64DecodedBytes(data)).toBe(bytes.length);
        expect(fromBase64(data)).toEqual(bytes);
      }),
      { numRuns: 200 },
    );
  });

  it("refuses what is not standard base64", () => {
    for (const bad of ["abc", "ab=c", "a-b_", "%%%%", "abcd=", "YQ==="]) expect(isBase64(bad)).toBe(false);
  });

  it("formats sizes", () => {
    expect([formatBytes(17), formatBytes(1536), formatBytes(5 * 1024 * 1024), formatBytes(11 * 1024 * 1024 + 1)]).toEqual([
      "17 B",
      "1.5 KiB",
      "5 MiB",
      "11 MiB",
    ]);
  });
});
