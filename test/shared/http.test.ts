/** The shared HTTP toolkit both Hono apps use: bearer check, JSON body reading, zod issues as 400 naming the field. */
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { bearerToken, requireBearer } from "../../src/shared/http/bearer";
import { HttpError } from "../../src/shared/http/http-error";
import { describeIssue, jsonBodyReader } from "../../src/shared/http/json-body";
import { digestsEqual, secretsEqual } from "../../src/shared/http/timing-safe";

const SECRET = "shared-toolkit-secret-0123";

/** A small app wired like both servers: one onError rendering HttpError, a public route, a guarded one. */
function app(expected: () => string = () => SECRET) {
  const readBody = jsonBodyReader({ notJson: { code: "not_json", message: "the body must be JSON" }, invalidField: "bad_field" });
  const Body = z.object({ text: z.string().min(1), meta: z.object({ tag: z.string({ error: "meta.tag: must be a string" }) }).optional() });
  return new Hono()
    .use(
      requireBearer({
        expected,
        isPublic: (c) => c.req.path === "/open",
        reject: () => new HttpError(401, "unauthorized", "send the token"),
      }),
    )
    .get("/open", (c) => c.text("open"))
    .get("/guarded", (c) => c.text("guarded"))
    .post("/echo", async (c) => c.json(await readBody(c.req, Body)))
    .onError((err, c) =>
      err instanceof HttpError ? c.json(err.toBody(), err.status, err.headers) : c.json({ unexpected: String(err) }, 500),
    );
}

describe("bearerToken", () => {
  it.each([
    [`Bearer ${SECRET}`, SECRET],
    [`bearer   ${SECRET}  `, SECRET],
    ["Bearer ", null],
    ["Bearer", null],
    [SECRET, null],
    [`Basic ${SECRET}`, null],
    [undefined, null],
  ])("reads %j as %j", (header, token) => {
    expect(bearerToken(header)).toBe(token);
  });
});

describe("constant-time comparison", () => {
  it("compares every byte of two digests", () => {
    const a = new Uint8Array(32).fill(7);
    expect(digestsEqual(a, new Uint8Array(32).fill(7))).toBe(true);
    for (const at of [0, 17, 31]) {
      const b = new Uint8Array(32).fill(7);
      b[at] = 8;
      expect(digestsEqual(a, b)).toBe(false);
    }
    expect(digestsEqual(a, new Uint8Array(31).fill(7))).toBe(false);
  });

  it("says two secrets are equal only when they are, whatever their lengths", async () => {
    expect(await secretsEqual(SECRET, SECRET)).toBe(true);
    expect(await secretsEqual(`${SECRET}x`, SECRET)).toBe(false);
    expect(await secretsEqual(SECRET.slice(0, -1), SECRET)).toBe(false);
    expect(await secretsEqual("", SECRET)).toBe(false);
  });
});

describe("requireBearer", () => {
  it("lets the right token through and refuses every other header with the server's error", async () => {
    const ok = await app().request("/guarded", { headers: { authorization: `Bearer ${SECRET}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe("guarded");
    for (const authorization of [undefined, "Bearer ", "Bearer wrong", `Bearer ${SECRET}-and-more`, `Basic ${SECRET}`, SECRET]) {
      const res = await app().request("/guarded", { headers: authorization === undefined ? {} : { authorization } });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: { code: "unauthorized", message: "send the token" } });
    }
  });

  it("opens only the public routes", async () => {
    expect((await app().request("/open")).status).toBe(200);
    expect((await app().request("/guarded")).status).toBe(401);
  });

  it("reads the expected secret per request, so a changed secret takes effect and an unset one fails as its getter says", async () => {
    let current = SECRET;
    const guarded = app(() => current);
    expect((await guarded.request("/guarded", { headers: { authorization: `Bearer ${SECRET}` } })).status).toBe(200);
    current = `${SECRET}-rotated`;
    expect((await guarded.request("/guarded", { headers: { authorization: `Bearer ${SECRET}` } })).status).toBe(401);
    expect((await guarded.request("/guarded", { headers: { authorization: `Bearer ${current}` } })).status).toBe(200);
    const unset = app(() => {
      throw new HttpError(500, "config_error", "SECRET is required");
    });
    expect(await (await unset.request("/guarded")).json()).toEqual({ error: { code: "config_error", message: "SECRET is required" } });
  });
});

describe("jsonBodyReader", () => {
  const post = (body: string) => app().request("/echo", { method: "POST", body, headers: { authorization: `Bearer ${SECRET}` } });

  it("returns the parsed, validated body", async () => {
    const res = await post(JSON.stringify({ text: "hi", meta: { tag: "x" } }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ text: "hi", meta: { tag: "x" } });
  });

  it("answers 400 with the server's code when the body is not JSON", async () => {
    const res = await post("{not json");
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { code: "not_json", message: "the body must be JSON" } });
  });

  it.each([
    ["a missing field", {}, "text"],
    ["an empty field", { text: "" }, "text"],
    ["a nested field", { text: "ok", meta: { tag: 5 } }, "meta.tag"],
    ["a body that is not an object", [1, 2], "body"],
  ])("answers 400 naming %s", async (_label, body, field) => {
    const res = await post(JSON.stringify(body));
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { code: string; message: string; field: string } };
    expect(error).toMatchObject({ code: "bad_field", field });
    expect(error.message.startsWith(`${field}: `)).toBe(true);
    expect(error.message.indexOf(`${field}:`, 1)).toBe(-1); // named once, even when the schema's message names it too
  });

  it("describes an issue as `field: message`", () => {
    expect(describeIssue({ code: "custom", path: ["a", 0, "b"], message: "is wrong", input: 1 })).toEqual({
      field: "a.0.b",
      message: "a.0.b: is wrong",
    });
    expect(describeIssue(undefined)).toEqual({ field: "body", message: "body: invalid" });
  });
});
