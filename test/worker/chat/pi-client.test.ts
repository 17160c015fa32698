/**
 * The Worker's pi client against the fake backend, which refuses what the real one refuses: any
 * request carrying Origin (403) and a POST that is not JSON (415). Every POST the client makes,
 * bodiless ones (abort, reset) included, must pass.
 */
import { describe, expect, inject, it } from "vitest";
import { PiBackendClient } from "../../../src/worker/pi-client/client";
import { FAKE_BACKEND_TOKEN } from "../../fixtures/fake-backend";
import { backendLog, freshChat } from "../helpers";

const base = () => `http://127.0.0.1:${inject("fakeBackendPort")}`;
const auth = { authorization: `Bearer ${FAKE_BACKEND_TOKEN}` };

async function errorOf(res: Response): Promise<{ status: number; code: string }> {
  return { status: res.status, code: ((await res.json()) as { error: { code: string } }).error.code };
}

describe("the fake backend, like the real one", () => {
  it.each([
    ["no content type", {}],
    ["text/plain", { "content-type": "text/plain" }],
    ["a form", { "content-type": "application/x-www-form-urlencoded" }],
  ])("refuses a POST with %s with 415", async (_what, type) => {
    const res = await fetch(`${base()}/v1/sessions/${freshChat()}/abort`, { method: "POST", headers: { ...auth, ...type }, body: "{}" });
    expect(await errorOf(res)).toEqual({ status: 415, code: "unsupported_media_type" });
  });

  it("refuses any request carrying Origin with 403, even an authenticated one", async () => {
    const origin = { origin: "https://evil.example" };
    expect(await errorOf(await fetch(`${base()}/v1/sessions`, { headers: { ...auth, ...origin } }))).toEqual({
      status: 403,
      code: "forbidden_origin",
    });
    expect((await fetch(`${base()}/healthz`, { headers: origin })).status).toBe(403);
    const post = await fetch(`${base()}/v1/sessions/x/reset`, {
      method: "POST",
      headers: { ...auth, ...origin, "content-type": "application/json" },
      body: "{}",
    });
    expect(post.status).toBe(403);
  });
});

describe("PiBackendClient", () => {
  it("sends every POST as JSON and no Origin, so submit, abort and reset pass", async () => {
    const session = `http:${freshChat()}`;
    const client = new PiBackendClient(base(), FAKE_BACKEND_TOKEN);
    expect(await client.submitTurn(session, "t1", "hello")).toEqual({ turnId: "t1", state: "running" });
    // The fake's unscripted turn ends as it starts, so nothing is left to abort.
    expect(await client.abort(session)).toBe(false);
    await client.reset(session);
    expect(await client.releaseSession(session)).toBe(true);
    const kinds = (await backendLog(session)).map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(["submit", "abort", "reset", "delete"]));
  });
});
