/** `GET /api/backend`: the backend's health and live processes as the Worker sees them, behind the API token. */
import { describe, expect, it } from "vitest";
import { api, freshChat, send } from "../helpers";

describe("GET /api/backend", () => {
  it("needs the API token", async () => {
    const res = await api("/api/backend", { auth: false });
    expect(res.status).toBe(401);
  });

  it("proxies the backend's health and counts its live pi processes", async () => {
    const chat = freshChat();
    await send(chat, "wake a session");
    // The fake backend's sessions go live on their first turn; the count includes at least this one.
    let body: Record<string, unknown> = {};
    for (let i = 0; i < 50; i++) {
      const res = await api("/api/backend");
      expect(res.status).toBe(200);
      body = await res.json();
      if ((body.processes as number) >= 1) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(body).toMatchObject({ reachable: true, via: "url", url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) });
    expect(body.processes).toBeGreaterThanOrEqual(1);
    expect(body.sessions).toBeGreaterThanOrEqual(1);
    expect(typeof body.running).toBe("number");
    expect(typeof body.ms).toBe("number");
  });
});
