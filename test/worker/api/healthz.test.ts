import { expect, it } from "vitest";
import { api } from "../helpers";

it("answers /healthz without auth", async () => {
  const res = await api("/healthz", { auth: false });
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ ok: true });
});
