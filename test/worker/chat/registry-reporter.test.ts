import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { RegistryReporter, type ReporterOptions } from "../../../src/worker/chat/registry-reporter";
import type { SessionSnapshot, SessionStatus } from "../../../src/worker/registry/types";
import { api, control, freshChat, script, send, settled, waitFor } from "../helpers";

function snapshot(version: number, busy = false): SessionSnapshot {
  return { chat: "http:unit", lastActivity: 1, busy, queued: 0, backend: "live", generation: 0, version };
}

/** The reporter of a chat's live instance, to swap its transport for a faulty one. */
async function reporterOf(chatKey: string): Promise<RegistryReporter> {
  return runInDurableObject(
    env.CHAT_SESSION.getByName(chatKey),
    (instance) => (instance as unknown as { reporter: RegistryReporter }).reporter,
  );
}

async function statusOf(chatKey: string): Promise<SessionStatus | null> {
  const res = await api(`/api/status/${chatKey}`);
  return res.status === 200 ? res.json() : null;
}

describe("RegistryReporter", () => {
  it("folds changes made during a send into one next send of the newest state", async () => {
    const sent: SessionSnapshot[] = [];
    let release!: () => void;
    const first = new Promise<void>((r) => (release = r));
    let version = 0;
    let busy = false;
    const reporter = new RegistryReporter({
      build: () => snapshot(++version, busy),
      send: async (s) => {
        sent.push(s);
        if (sent.length === 1) await first;
      },
      wakeAt: async () => {},
      coalesceMs: 0, // no window: the first report goes out at once
    });
    reporter.report();
    for (let i = 0; i < 10; i++) {
      busy = i % 2 === 1; // ends busy: a change from the first send
      reporter.report();
    }
    release();
    expect(await reporter.flush()).toBe(true);
    expect(sent).toHaveLength(2);
    expect(sent[1]!.version).toBeGreaterThan(sent[0]!.version);
    expect(sent[1]!.busy).toBe(busy);
    // Nothing changed since: another report sends nothing.
    reporter.report();
    expect(await reporter.flush()).toBe(true);
    expect(sent).toHaveLength(2);
  });

  it("sends the first change at once and folds the rest of a burst into one report at the end of its window", async () => {
    const sent: SessionSnapshot[] = [];
    let version = 0;
    let busy = false;
    const reporter = new RegistryReporter({
      build: () => snapshot(++version, busy),
      send: async (s) => void sent.push(s),
      wakeAt: async () => {},
      coalesceMs: 300,
    });
    // A message's queued → busy → idle → busy, well inside one window.
    reporter.report();
    expect(sent).toHaveLength(1); // after a quiet spell: at once (status shows a new chat without delay)
    for (const state of [true, false, true]) {
      busy = state;
      reporter.report();
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(sent).toHaveLength(1); // the rest waits for the window
    await waitFor(async () => reporter.settled, 5_000, "the window's send");
    expect(sent).toHaveLength(2);
    expect(sent[1]!.busy).toBe(true);
    expect(sent[1]!.version).toBeGreaterThan(sent[0]!.version);
  });

  it("retries a failed or unanswered send until the registry has it, arming a wake-up as backstop", async () => {
    const wakes: number[] = [];
    let calls = 0;
    const delivered: SessionSnapshot[] = [];
    const options: ReporterOptions = {
      build: () => snapshot(++calls),
      send: async (s) => {
        if (calls === 1) throw new Error("registry overloaded");
        if (calls === 2) return new Promise<void>(() => {}); // dropped: never answered
        delivered.push(s);
      },
      wakeAt: async (at) => void wakes.push(at),
      timeoutMs: 50,
      firstRetryMs: 10,
      coalesceMs: 0,
    };
    const reporter = new RegistryReporter(options);
    reporter.report();
    await waitFor(async () => reporter.settled && delivered.length === 1, 5_000, "the report to get through");
    expect(calls).toBe(3);
    expect(wakes).toHaveLength(2);
  });
});

describe("reporting never holds up a chat", () => {
  it("acknowledges and runs turns at once while the registry does not answer, and status catches up after", async () => {
    const chat = freshChat("slowreg");
    const key = `http:${chat}`;
    // The first turn ends while the registry hangs: its end-of-turn report must not hold the next turn back.
    await script(key, { hold: true });
    const first = await send(chat, "wake the object");
    await waitFor(async () => (await env.CHAT_SESSION.getByName(key).getMessage(first.messageId))?.state === "running");
    const reporter = await reporterOf(key);
    const realSend = reporter.options.send;
    let unblock!: () => void;
    const blocked = new Promise<void>((r) => (unblock = r));
    reporter.options.send = async (s) => {
      await blocked;
      return realSend(s);
    };
    reporter.options.timeoutMs = 60_000;
    await script(key, {});
    await control("release", { sessionId: key });
    expect((await settled(chat, first.messageId)).state).toBe("done");

    const started = Date.now();
    const sent = await send(chat, "ack me now");
    expect(Date.now() - started).toBeLessThan(2_000);
    expect((await settled(chat, sent.messageId)).state).toBe("done");

    unblock();
    const after = await waitFor(async () => {
      const s = await statusOf(key);
      return s && !s.busy && s.queued === 0 && Date.parse(s.lastActivity) >= started ? s : null;
    });
    expect(after.backend).toBe("live");
  });

  it("converges to idle when the registry calls fail", async () => {
    const chat = freshChat("failreg");
    const key = `http:${chat}`;
    await script(key, { deltaDelayMs: 20 });
    await settled(chat, (await send(chat, "first")).messageId);
    const reporter = await reporterOf(key);
    const realSend = reporter.options.send;
    let failures = 0;
    reporter.options.firstRetryMs = 20;
    reporter.options.send = async (s) => {
      if (failures < 4) {
        failures++;
        throw new Error("registry unavailable");
      }
      return realSend(s);
    };
    const sent = await send(chat, "second");
    expect((await settled(chat, sent.messageId)).state).toBe("done");
    await waitFor(async () => {
      const s = await statusOf(key);
      return s && !s.busy && s.queued === 0 && failures === 4;
    });
  });

  it("sends a final report lost with its instance from the chat's alarm", async () => {
    const chat = freshChat("lostreg");
    const key = `http:${chat}`;
    const stub = env.CHAT_SESSION.getByName(key);
    await settled(chat, (await send(chat, "first")).messageId);
    await waitFor(async () => (await statusOf(key))?.busy === false);
    const reporter = await reporterOf(key);
    reporter.options.send = async () => {
      throw new Error("registry unreachable");
    };
    reporter.options.firstRetryMs = 60_000; // no in-memory retry before the instance is gone
    await script(key, { hold: true });
    const held = await send(chat, "held");
    await waitFor(async () => (await stub.getMessage(held.messageId))?.state === "running");
    await script(key, {});
    await control("release", { sessionId: key });
    expect((await settled(chat, held.messageId)).state).toBe("done");
    // The registry never heard of the second message, and the chat armed its alarm as a backstop.
    const own = (await stub.snapshot())!;
    expect(Date.parse((await statusOf(key))!.lastActivity)).toBeLessThan(own.lastActivity);
    expect(await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())).not.toBeNull();

    await runInDurableObject(stub, (_i, state) => state.abort("simulated eviction")).catch(() => {});
    const restarted = env.CHAT_SESSION.getByName(key);
    await runDurableObjectAlarm(restarted);
    const after = await waitFor(async () => {
      const s = await statusOf(key);
      const own = await restarted.snapshot();
      return s && own && s.lastActivity === new Date(own.lastActivity).toISOString() && !s.busy ? s : null;
    });
    expect(after.queued).toBe(0);
  });
});
