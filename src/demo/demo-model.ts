/**
 * The offline demo model: a tiny OpenAI-compatible server that `npm start` points pi at when no LLM
 * provider is configured, so a new user sees the whole path work with no keys and no internet.
 * Every reply is labelled, so nobody mistakes it for a real model.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { type ChatRequest, CompletionStream, messageText, readJson, wordDeltas } from "./openai-stream";

/** The label every demo reply starts with. */
export const DEMO_LABEL = "[evie-edge demo model]";

/** A running demo model. */
export interface DemoModel {
  /** Base URL for models.json, ending in `/v1`. */
  baseUrl: string;
  server: Server;
}

/** The demo's reply to a conversation: it echoes the last user message and says what it is. */
export function demoReply(request: ChatRequest): string {
  const users = request.messages.filter((m) => m.role === "user");
  const said = messageText(users.at(-1)).trim().slice(0, 500);
  return [
    `${DEMO_LABEL} You said: "${said}".`,
    `This is message ${users.length} of this conversation, answered by the offline demo model bundled with evie-edge, not by a real LLM.`,
    "To get real answers, stop `npm start`, set a provider key (for example ANTHROPIC_API_KEY or OPENAI_API_KEY) or log in with " +
      "`npx pi` and `/login`, then start again.",
  ].join(" ");
}

/** Starts the demo model on `port` (0: any free port) on 127.0.0.1. */
export async function startDemoModel(port = 0): Promise<DemoModel> {
  const server = createServer(async (req, res) => {
    if (req.method !== "POST" || !req.url?.endsWith("/chat/completions")) {
      res
        .writeHead(404, { "content-type": "application/json" })
        .end(JSON.stringify({ error: { message: "the demo model only serves POST /v1/chat/completions" } }));
      return;
    }
    let body: ChatRequest;
    try {
      body = (await readJson(req)) as ChatRequest;
    } catch {
      res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: "bad JSON" } }));
      return;
    }
    const stream = new CompletionStream(res, body.model ?? "evie-demo");
    // Stream word by word with a small pause, so the reply visibly arrives over time.
    for (const delta of wordDeltas(demoReply(body))) {
      if (stream.closed) return;
      stream.text(delta);
      await sleep(15);
    }
    stream.finish("stop");
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const address = server.address() as AddressInfo;
  return { baseUrl: `http://127.0.0.1:${address.port}/v1`, server };
}
