/**
 * How the pi client reaches a backend behind Cloudflare Access (service-token headers on every call)
 * or through a `PI_BACKEND` service binding, against a fake backend that turns away any request
 * without the Access headers, as Access does.
 */
import { describe, expect, inject, it } from "vitest";
import { ConfigError } from "../../../src/shared/config-error";
import { backendConfig, VPC_BACKEND_URL } from "../../../src/worker/config/config";
import type { Env } from "../../../src/worker/config/env";
import { BackendError, PiBackendClient } from "../../../src/worker/pi-client/client";
import { backendTransport } from "../../../src/worker/pi-client/transport";
import { ACCESS_TOKEN, FAKE_BACKEND_TOKEN } from "../../fixtures/fake-backend";
import { freshChat } from "../helpers";

const accessBase = () => `http://127.0.0.1:${inject("accessBackendPort")}`;
const withAccess: Env = { PI_BACKEND_ACCESS_CLIENT_ID: ACCESS_TOKEN.id, PI_BACKEND_ACCESS_CLIENT_SECRET: ACCESS_TOKEN.secret };

async function drain(client: PiBackendClient, chat: string, turnId: string): Promise<string[]> {
  const types: string[] = [];
  for await (const event of client.events(chat, turnId, 0)) types.push(event.type);
  return types;
}

/** Every call the client makes, so that none can lack the headers. */
async function everyCall(client: PiBackendClient): Promise<void> {
  const chat = freshChat();
  await client.submitTurn(chat, "t1", "hello");
  expect(await drain(client, chat, "t1")).toEqual(["turn_start", "text_delta", "text_delta", "text_delta", "turn_end"]);
  expect(await client.abort(chat)).toBe(false);
  await client.reset(chat);
  expect((await client.listSessions()).sessions.some((s) => s.sessionId === chat)).toBe(true);
  expect((await client.health()).ok).toBe(true);
  expect(await client.releaseSession(chat)).toBe(true);
}

describe("Cloudflare Access service token", () => {
  it("is sent on every backend call when PI_BACKEND_ACCESS_CLIENT_ID and _SECRET are set", async () => {
    await everyCall(new PiBackendClient(accessBase(), FAKE_BACKEND_TOKEN, { transport: backendTransport(withAccess) }));
  });

  it("is missed with a BackendError that names the settings, never a JSON parse error", async () => {
    const client = new PiBackendClient(accessBase(), FAKE_BACKEND_TOKEN, { transport: backendTransport({}) });
    const error = await client.submitTurn(freshChat(), "t1", "hello").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendError);
    expect(error).toMatchObject({ status: 403, code: "http_403" });
    expect((error as Error).message).toContain("PI_BACKEND_ACCESS_CLIENT_ID");
  });

  it("is refused when wrong", async () => {
    const wrong = backendTransport({ ...withAccess, PI_BACKEND_ACCESS_CLIENT_SECRET: "not-the-access-secret-0000" });
    const error = await new PiBackendClient(accessBase(), FAKE_BACKEND_TOKEN, { transport: wrong }).health().catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 403 });
  });

  it("with only one half set is a config error naming the missing half", () => {
    expect(() => backendTransport({ PI_BACKEND_ACCESS_CLIENT_ID: ACCESS_TOKEN.id })).toThrow(ConfigError);
    expect(() => backendTransport({ PI_BACKEND_ACCESS_CLIENT_SECRET: ACCESS_TOKEN.secret })).toThrow(
      /PI_BACKEND_ACCESS_CLIENT_ID is required/,
    );
  });
});

describe("PI_BACKEND service binding", () => {
  /** Stands in for a Workers VPC binding: forwards to the Access-guarded fake, recording what it was asked. */
  function fakeBinding(seen: { url: string; headers: Headers }[]): Fetcher {
    return {
      fetch: (input: RequestInfo | URL, init?: RequestInit) => {
        const url = String(input);
        seen.push({ url, headers: new Headers(init?.headers) });
        return fetch(url.replace(VPC_BACKEND_URL, accessBase()), init);
      },
      connect: () => {
        throw new Error("not used");
      },
    } as Fetcher;
  }

  it("carries every call instead of the internet, with the Access headers, and needs no PI_BACKEND_URL", async () => {
    const seen: { url: string; headers: Headers }[] = [];
    const env: Env = { ...withAccess, PI_BACKEND: fakeBinding(seen), PI_BACKEND_TOKEN: FAKE_BACKEND_TOKEN };
    const { url, token } = backendConfig(env);
    expect(url).toBe(VPC_BACKEND_URL);
    await everyCall(new PiBackendClient(url, token, { transport: backendTransport(env) }));
    expect(seen.length).toBeGreaterThanOrEqual(7);
    for (const call of seen) {
      expect(call.url.startsWith(`${VPC_BACKEND_URL}/`)).toBe(true);
      expect(call.headers.get("cf-access-client-id")).toBe(ACCESS_TOKEN.id);
      expect(call.headers.get("authorization")).toBe(`Bearer ${FAKE_BACKEND_TOKEN}`);
    }
  });

  it("allows a plain http:// PI_BACKEND_URL to another host (the tunnel encrypts it), still wanting a strong token", () => {
    const binding = fakeBinding([]);
    const url = "http://192.168.1.20:8788";
    expect(backendConfig({ PI_BACKEND: binding, PI_BACKEND_URL: url, PI_BACKEND_TOKEN: FAKE_BACKEND_TOKEN }).url).toBe(url);
    expect(() => backendConfig({ PI_BACKEND_URL: url, PI_BACKEND_TOKEN: FAKE_BACKEND_TOKEN })).toThrow(/plain http/);
    expect(() => backendConfig({ PI_BACKEND: binding, PI_BACKEND_TOKEN: "short" })).toThrow(/too short/);
  });
});

describe("trace id", () => {
  it("goes out as X-Trace-Id on every call of a traced client", async () => {
    const seen: string[] = [];
    const transport = {
      fetch: (url: string, init: RequestInit) => {
        seen.push(new Headers(init.headers).get("x-trace-id") ?? "none");
        return fetch(url, init);
      },
      headers: backendTransport(withAccess).headers,
    };
    const client = new PiBackendClient(accessBase(), FAKE_BACKEND_TOKEN, { transport }).withTrace("trace-abc.1");
    await everyCall(client);
    expect(seen.length).toBeGreaterThanOrEqual(7);
    expect(new Set(seen)).toEqual(new Set(["trace-abc.1"]));
  });
});
