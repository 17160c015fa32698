/**
 * `GET /api/backend` names the broken link: the route mounted alone with the Worker's error renderer
 * and a chosen env, against the fake backends (one plain, one behind a fake Cloudflare Access).
 */
import { Hono } from "hono";
import { describe, expect, inject, it } from "vitest";
import { backend } from "../../../src/worker/api/backend";
import type { Env } from "../../../src/worker/config/env";
import { renderError } from "../../../src/worker/http/errors";
import { ACCESS_TOKEN, FAKE_BACKEND_TOKEN } from "../../fixtures/fake-backend";

const app = new Hono<{ Bindings: Env }>().route("/", backend);
app.onError(renderError);

async function check(env: Env): Promise<{ status: number; body: { error?: { code: string; message: string }; reachable?: boolean } }> {
  const res = await app.fetch(new Request("https://evie.test/backend"), env);
  return { status: res.status, body: await res.json() };
}

const plain = () => `http://127.0.0.1:${inject("fakeBackendPort")}`;
const guarded = () => `http://127.0.0.1:${inject("accessBackendPort")}`;
const access = { PI_BACKEND_ACCESS_CLIENT_ID: ACCESS_TOKEN.id, PI_BACKEND_ACCESS_CLIENT_SECRET: ACCESS_TOKEN.secret };

describe("GET /api/backend failures", () => {
  it("answers 200 through Access with the service token", async () => {
    const { status, body } = await check({ PI_BACKEND_URL: guarded(), PI_BACKEND_TOKEN: FAKE_BACKEND_TOKEN, ...access });
    expect(status).toBe(200);
    expect(body.reachable).toBe(true);
  });

  it("502 backend_access_denied when Access turns the Worker away", async () => {
    const { status, body } = await check({ PI_BACKEND_URL: guarded(), PI_BACKEND_TOKEN: FAKE_BACKEND_TOKEN });
    expect(status).toBe(502);
    expect(body.error?.code).toBe("backend_access_denied");
    expect(body.error?.message).toContain("PI_BACKEND_ACCESS_CLIENT_ID");
  });

  it("502 backend_unauthorized when the bearer tokens differ", async () => {
    const { status, body } = await check({ PI_BACKEND_URL: plain(), PI_BACKEND_TOKEN: "not-the-backend-token-000" });
    expect(status).toBe(502);
    expect(body.error?.code).toBe("backend_unauthorized");
  });

  it("502 backend_unreachable when nothing listens", async () => {
    // Port 9 (discard) on loopback: nothing listens there. (workerd logs its own "uncaught exception ... Network
    // connection lost" for any fetch to a closed port, even one caught; the route still answers.)
    const { status, body } = await check({ PI_BACKEND_URL: "http://127.0.0.1:9", PI_BACKEND_TOKEN: FAKE_BACKEND_TOKEN });
    expect(status).toBe(502);
    expect(body.error?.code).toBe("backend_unreachable");
  });

  it("500 config_error naming the setting when the Worker has no backend configured", async () => {
    const { status, body } = await check({ PI_BACKEND_TOKEN: FAKE_BACKEND_TOKEN });
    expect(status).toBe(500);
    expect(body.error?.message).toContain("PI_BACKEND_URL");
  });
});
