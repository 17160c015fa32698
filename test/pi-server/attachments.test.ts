/** Attachments in a turn, through the real pi and the fake LLM: images as image parts, files in the workspace's inbox/. */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_FILE_BYTES, MAX_IMAGE_BYTES } from "../../src/shared/attachments";
import { PROTOCOL_MAX_TURN_BODY_BYTES } from "../../src/shared/protocol";
import { type BackendHarness, last, startBackend } from "../fixtures/backend-harness";

/** A 1×1 PNG. */
const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
const b64 = (text: string) => Buffer.from(text).toString("base64");
const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

describe("attachments through the real pi", () => {
  let backend: BackendHarness;
  let workspace: string;
  const tmp = mkdtempSync(join(tmpdir(), "evie-attach-"));

  beforeAll(async () => {
    workspace = join(tmp, "project");
    backend = await startBackend({ piCwd: workspace });
  });
  afterAll(async () => {
    await backend?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  const submit = (sessionId: string, body: Record<string, unknown>) => backend.request("POST", `/v1/sessions/${sessionId}/turns`, body);
  async function run(sessionId: string, body: Record<string, unknown>) {
    const res = await submit(sessionId, body);
    expect(res.status, await res.clone().text()).toBe(202);
    await res.body?.cancel();
    return last(await backend.events(sessionId, String(body.turnId)));
  }
  /** The content parts of the last user message the LLM was sent. */
  function lastUserParts(): Array<{ type: string; text?: string; image_url?: { url: string } }> {
    const request = backend.llm.requests.at(-1)!;
    const user = request.messages.findLast((m) => m.role === "user")!;
    return typeof user.content === "string" ? [{ type: "text", text: user.content }] : (user.content as never);
  }

  it("sends a photo to the LLM as an image part, with the caption as text", async () => {
    const end = await run("http:photo", {
      turnId: "t1",
      message: "what is in this picture?",
      attachments: [{ kind: "image", mimeType: "image/png", data: PNG, name: "photo.png" }],
    });
    expect(end).toMatchObject({ type: "turn_end" });
    const parts = lastUserParts();
    expect(parts.find((p) => p.type === "text")?.text).toBe("what is in this picture?");
    expect(parts.find((p) => p.type === "image_url")?.image_url?.url).toBe(`data:image/png;base64,${PNG}`);
  });

  it("takes a photo without a caption", async () => {
    const end = await run("http:photo2", {
      turnId: "t1",
      message: "",
      attachments: [{ kind: "image", mimeType: "image/jpeg", data: PNG }],
    });
    expect(end).toMatchObject({ type: "turn_end" });
    const parts = lastUserParts();
    expect(parts.some((p) => p.type === "image_url")).toBe(true);
    expect(parts.find((p) => p.type === "text")?.text).toBe("[The user sent an image.]");
  });

  it("writes a document into inbox/ (0600), names it in the prompt, and never overwrites an earlier one", async () => {
    const first = await run("http:doc", {
      turnId: "t1",
      message: "summarise it",
      attachments: [{ kind: "file", name: "report.txt", mimeType: "text/plain", data: b64("quarterly numbers") }],
    });
    expect(first).toMatchObject({ type: "turn_end" });
    const path = join(workspace, "inbox", "report.txt");
    expect(readFileSync(path, "utf8")).toBe("quarterly numbers");
    expect(mode(path)).toBe("600");
    expect(mode(join(workspace, "inbox"))).toBe("700");
    const text = lastUserParts().find((p) => p.type === "text")?.text ?? "";
    expect(text).toContain("summarise it");
    expect(text).toContain("inbox/report.txt (text/plain, 17 B)");

    // The agent can read it with its own tools.
    const read = await run("http:doc", { turnId: "t2", message: "[tool:cat inbox/report.txt]" });
    expect(read).toMatchObject({ type: "turn_end", text: expect.stringContaining("quarterly numbers") });

    await run("http:doc", { turnId: "t3", message: "again", attachments: [{ kind: "file", name: "report.txt", data: b64("v2") }] });
    expect(readFileSync(path, "utf8")).toBe("quarterly numbers");
    expect(readFileSync(join(workspace, "inbox", "report (2).txt"), "utf8")).toBe("v2");
    expect(lastUserParts().find((p) => p.type === "text")?.text).toContain("inbox/report (2).txt (unknown type, 2 B)");
  });

  it("never writes through a link the agent put in place of inbox/", async () => {
    const ws = join(tmp, "linked");
    const outside = join(tmp, "outside");
    mkdirSync(outside, { recursive: true });
    mkdirSync(ws, { recursive: true });
    const linked = await startBackend({ piCwd: ws, llm: backend.llm });
    try {
      symlinkSync(outside, join(ws, "inbox"));
      const res = await linked.request("POST", "/v1/sessions/http:link/turns", {
        turnId: "t1",
        message: "here",
        attachments: [{ kind: "file", name: "x.txt", data: b64("secret") }],
      });
      expect(res.status).toBe(409);
      expect(await res.json()).toMatchObject({ error: { code: "inbox_unavailable" } });
      expect(existsSync(join(outside, "x.txt"))).toBe(false);
      // Nothing was reserved: the session has no running turn.
      expect(linked.manager.get("http:link")).toBeUndefined();
    } finally {
      await linked.close();
    }
  });

  it.each([
    ["a name with a path", { kind: "file", name: "../../etc/passwd", data: b64("x") }, "attachments.0.name"],
    ["a hidden file", { kind: "file", name: ".bashrc", data: b64("x") }, "attachments.0.name"],
    ["a file without a name", { kind: "file", data: b64("x") }, "attachments.0.name"],
    ["an image of a type models do not take", { kind: "image", mimeType: "image/tiff", data: b64("x") }, "attachments.0.mimeType"],
    ["data that is not base64", { kind: "image", mimeType: "image/png", data: "not base64!" }, "attachments.0.data"],
    ["an unknown kind", { kind: "voice", data: b64("x") }, "attachments.0.kind"],
  ])("answers 400 invalid_request for %s", async (_what, attachment, field) => {
    const res = await submit("http:bad", { turnId: "t1", message: "x", attachments: [attachment] });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("invalid_request");
    expect(body.error.message).toContain(field);
    expect(existsSync(join(workspace, "inbox", "passwd"))).toBe(false);
  });

  it("answers 400 for an empty message without attachments", async () => {
    const res = await submit("http:bad", { turnId: "t1", message: "" });
    expect(res.status).toBe(400);
  });

  it("answers 413 too_large for an image over 5 MiB and a file over 10 MiB, and for a body over the turn limit", async () => {
    const big = (bytes: number) => Buffer.alloc(bytes, 1).toString("base64");
    for (const attachment of [
      { kind: "image", mimeType: "image/png", data: big(MAX_IMAGE_BYTES + 1) },
      { kind: "file", name: "big.bin", data: big(MAX_FILE_BYTES + 1) },
    ]) {
      const res = await submit("http:big", { turnId: "t1", message: "x", attachments: [attachment] });
      expect(res.status).toBe(413);
      expect(await res.json()).toMatchObject({ error: { code: "too_large" } });
    }
    // A 10 MiB file fits (the turns route allows more than the 1 MiB of the others).
    const fits = await run("http:big", {
      turnId: "t2",
      message: "x",
      attachments: [{ kind: "file", name: "ok.bin", data: big(MAX_FILE_BYTES) }],
    });
    expect(fits).toMatchObject({ type: "turn_end" });
    expect(statSync(join(workspace, "inbox", "ok.bin")).size).toBe(MAX_FILE_BYTES);
    const tooBig = await backend.request("POST", "/v1/sessions/http:big/turns", "x".repeat(PROTOCOL_MAX_TURN_BODY_BYTES + 1));
    expect(tooBig.status).toBe(413);
    // Other routes keep the 1 MiB limit.
    const steer = await backend.request("POST", "/v1/sessions/http:big/steer", { message: "x".repeat(2 * 1024 * 1024) });
    expect(steer.status).toBe(413);
  });
});
