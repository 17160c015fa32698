/** Status API: reads only the registry, so it answers while any number of turns run. */
import { Hono } from "hono";
import type { Env, Registries } from "../config/env";
import { ApiError } from "../http/errors";
import type { Registry } from "../registry/registry";
import { registryStub } from "../registry/registry-stub";

export const status = new Hono<{ Bindings: Env & Registries<Registry> }>()
  .get("/status", async (c) => c.json(await registryStub(c.env).listStatus()))
  .get("/status/:chat", async (c) => {
    const chat = c.req.param("chat");
    const found = await registryStub(c.env).getStatus(chat);
    if (!found) throw new ApiError(404, "not_found", `no session for chat ${chat}`);
    return c.json(found);
  });
