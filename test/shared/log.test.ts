/** The structured logger: one JSON line per event, bound fields, errors as {name, message}, secrets dropped. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { createLogger, formatLine, type LogLevel, log } from "../../src/shared/log";
import { loggedCalls } from "../fixtures/log-lines";

function capture() {
  const written: Array<{ level: LogLevel; line: string }> = [];
  const logger = createLogger({}, (level, line) => written.push({ level, line }));
  const parsed = () => written.map((w) => JSON.parse(w.line) as Record<string, unknown>);
  return { logger, written, parsed };
}

afterEach(() => vi.restoreAllMocks());

describe("log", () => {
  it("writes one JSON line with level, event, an ISO time and the fields, in that order", () => {
    const line = formatLine("info", "turn.end", { chat: "http:a", ms: 12 }, new Date("2026-01-02T03:04:05.678Z"));
    expect(line).not.toContain("\n");
    expect(line).toBe('{"level":"info","event":"turn.end","time":"2026-01-02T03:04:05.678Z","chat":"http:a","ms":12}');
  });

  it("sends info to console.log, warn to console.warn and error to console.error", () => {
    const out = vi.spyOn(console, "log").mockImplementation(() => {});
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const err = vi.spyOn(console, "error").mockImplementation(() => {});
    log.info("a.info", { n: 1 });
    log.warn("a.warn");
    log.error("a.error", { n: 3 });
    expect(loggedCalls(out.mock.calls)).toEqual([expect.objectContaining({ level: "info", event: "a.info", n: 1 })]);
    expect(loggedCalls(warn.mock.calls)).toEqual([expect.objectContaining({ level: "warn", event: "a.warn" })]);
    expect(loggedCalls(err.mock.calls)).toEqual([expect.objectContaining({ level: "error", event: "a.error", n: 3 })]);
    // Exactly one argument per call: the line, so a log store sees one JSON record.
    for (const spy of [out, warn, err]) expect(spy.mock.calls[0]).toHaveLength(1);
  });

  it("adds a child's bound fields to every line; a call's own fields come after them", () => {
    const { logger, parsed } = capture();
    const chat = logger.child({ chat: "telegram:42" });
    chat.info("turn.start", { messageId: "m1" });
    chat.child({ turnId: "1.1.0" }).warn("turn.stream_broken");
    logger.info("unbound");
    expect(parsed()).toEqual([
      expect.objectContaining({ level: "info", event: "turn.start", chat: "telegram:42", messageId: "m1" }),
      expect.objectContaining({ level: "warn", event: "turn.stream_broken", chat: "telegram:42", turnId: "1.1.0" }),
      expect.not.objectContaining({ chat: expect.anything() }),
    ]);
  });

  it("writes an Error as {name, message}", () => {
    const { logger, parsed } = capture();
    logger.error("turn.failed", { error: new TypeError("cannot read 'x'"), reason: new Error("plain") });
    expect(parsed()[0]).toMatchObject({
      error: { name: "TypeError", message: "cannot read 'x'" },
      reason: { name: "Error", message: "plain" },
    });
  });

  it("drops keys named like secrets, whatever their case, and keeps the rest", () => {
    const { logger, written, parsed } = capture();
    const secret = "s3cret-value-0123456789";
    logger.child({ apiToken: secret }).info("config.loaded", {
      token: secret,
      PI_BACKEND_TOKEN: secret,
      Authorization: `Bearer ${secret}`,
      signingSecret: secret,
      password: secret,
      api_key: secret,
      url: "http://127.0.0.1:8788",
    });
    expect(written[0]!.line).not.toContain(secret);
    expect(parsed()[0]).toEqual(expect.objectContaining({ event: "config.loaded", url: "http://127.0.0.1:8788" }));
    expect(Object.keys(parsed()[0]!)).toEqual(["level", "event", "time", "url"]);
  });

  it("never lets a field overwrite level, event or time", () => {
    const { logger, parsed } = capture();
    logger.error("real.event", { level: "info", event: "fake", time: "never" });
    expect(parsed()[0]).toMatchObject({ level: "error", event: "real.event" });
    expect(parsed()[0]!.time).not.toBe("never");
  });

  it("still writes the event when a field cannot be serialized", () => {
    const { logger, parsed } = capture();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    logger.error("odd.fields", { cyclic, big: 10n });
    expect(parsed()[0]).toMatchObject({ level: "error", event: "odd.fields", logError: expect.stringContaining("not serializable") });
    logger.info("big.number", { big: 10n });
    expect(parsed()[1]).toMatchObject({ big: "10" });
  });
});
