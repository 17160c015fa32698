/** The agent settings routes through the real pi: models, model switch, thinking level, stats, compaction. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ModelsResponse, StatsResponse } from "../../src/shared/protocol";
import { type BackendHarness, last, startBackend, waitFor } from "../fixtures/backend-harness";

let backend: BackendHarness;
beforeAll(async () => {
  backend = await startBackend({ extraModels: ["fake-2"] });
});
afterAll(async () => {
  await backend?.close();
});

const models = async (session: string) => (await (await backend.request("GET", `/v1/sessions/${session}/models`)).json()) as ModelsResponse;

describe("agent settings routes", () => {
  it("lists pi's models with the current one, and switches with set_model (written to the temp agent dir's settings.json)", async () => {
    const list = await models("cmd:model");
    expect(list.models.map((m) => `${m.provider}/${m.id}`)).toEqual(["fake/fake-1", "fake/fake-2"]);
    expect(list.current).toMatchObject({ provider: "fake", id: "fake-1" });
    const res = await backend.request("POST", "/v1/sessions/cmd:model/model", { provider: "fake", modelId: "fake-2" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ model: { provider: "fake", id: "fake-2" }, appliesTo: "now" });
    expect((await models("cmd:model")).current).toMatchObject({ id: "fake-2" });
    // The next turn's LLM request names the new model.
    await backend.turn("cmd:model", "t1", "which model?");
    expect(backend.llm.requests.at(-1)?.model).toBe("fake-2");
    expect(JSON.parse(readFileSync(join(backend.agentDir, "settings.json"), "utf8"))).toMatchObject({ defaultModel: "fake-2" });
    const unknown = await backend.request("POST", "/v1/sessions/cmd:model/model", { provider: "fake", modelId: "nope" });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ error: { code: "unknown_model" } });
  });

  it("a model chosen while a turn runs applies to the next turn, not the running one", async () => {
    await backend.request("POST", "/v1/sessions/cmd:pending/model", { provider: "fake", modelId: "fake-1" });
    expect((await backend.submit("cmd:pending", "t1", "[tool:sleep 1] then answer")).status).toBe(202);
    await waitFor(() => backend.manager.get("cmd:pending")?.state === "running", 30_000, "the turn to run");
    const before = backend.llm.requests.length;
    const res = await backend.request("POST", "/v1/sessions/cmd:pending/model", { provider: "fake", modelId: "fake-2" });
    expect(await res.json()).toMatchObject({ model: { id: "fake-2" }, appliesTo: "next_turn" });
    expect(last(await backend.events("cmd:pending", "t1"))).toMatchObject({ type: "turn_end" });
    expect(backend.llm.requests.slice(before).every((r) => r.model === "fake-1")).toBe(true);
    await backend.turn("cmd:pending", "t2", "now?");
    expect(backend.llm.requests.at(-1)?.model).toBe("fake-2");
  });

  it("sets the thinking level; a bad level is 400", async () => {
    const res = await backend.request("POST", "/v1/sessions/cmd:think/thinking", { level: "high" });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { level: string; appliesTo: string };
    // The fake models do not reason, so pi clamps the level; the answer says what pi chose.
    expect(body.appliesTo).toBe("now");
    expect((await models("cmd:think")).thinkingLevel).toBe(body.level);
    expect((await backend.request("POST", "/v1/sessions/cmd:think/thinking", { level: "max" })).status).toBe(400);
  });

  it("reports token use, cost and context use, and compacts between turns", async () => {
    await backend.turn("cmd:stats", "t1", "[words:30]");
    await backend.turn("cmd:stats", "t2", "[words:30] again");
    const stats = (await (await backend.request("GET", "/v1/sessions/cmd:stats/stats")).json()) as StatsResponse;
    expect(stats.messages).toBeGreaterThanOrEqual(4);
    expect(stats.tokens.output).toBeGreaterThan(0);
    expect(typeof stats.cost).toBe("number");
    expect(stats.context?.window).toBe(128000);
    const compacted = await backend.request("POST", "/v1/sessions/cmd:stats/compact", {});
    const text = await compacted.text();
    expect(compacted.status, text).toBe(200);
    expect(JSON.parse(text)).toMatchObject({ compacted: true });
    expect(last(await backend.turn("cmd:stats", "t3", "still here?"))).toMatchObject({ type: "turn_end" });
  });

  it("compact while a turn runs is 409 busy", async () => {
    expect((await backend.submit("cmd:busy", "t1", "[hang] forever")).status).toBe(202);
    await waitFor(() => backend.manager.get("cmd:busy")?.state === "running", 30_000, "the turn to run");
    const res = await backend.request("POST", "/v1/sessions/cmd:busy/compact", {});
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ error: { code: "busy", runningTurnId: "t1" } });
    await backend.request("POST", "/v1/sessions/cmd:busy/abort", {});
  });
});
