/** Status API: reads only the registry, so it answers while any number of turns run. */
import { Hono } from "hono";
import type { Env, Registries } from "../config/env";
import { ApiError } from "../http/errors";
import { describe } from "../http/openapi/describe";
import { SessionStatus, StatusList } from "../http/openapi/responses";
import type { Registry } from "../registry/registry";
import { registryStub } from "../registry/registry-stub";

export const status = new Hono<{ Bindings: Env & Registries<Registry> }>()
  .get(
    "/status",
    describe({
      summary: "Every chat: busy or idle, queue, last activity, backend session",
      tags: ["status"],
      answers: { 200: { description: "All known chats, most recently active first", schema: StatusList } },
      errors: [401, 403],
    }),
    async (c) => c.json(await registryStub(c.env).listStatus()),
  )
  .get(
    "/status/:chat",
    describe({
      summary: "One chat's status, by chat key (e.g. http:a)",
      tags: ["status"],
      answers: { 200: { description: "The chat", schema: SessionStatus } },
      errors: [401, 403, 404],
    }),
    async (c) => {
      const chat = c.req.param("chat");
      const found = await registryStub(c.env).getStatus(chat);
      if (!found) throw new ApiError(404, "not_found", `no session for chat ${chat}`);
      return c.json(found);
    },
  );
