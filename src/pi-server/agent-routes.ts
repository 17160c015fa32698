/**
 * Protocol v1 routes beyond prompts (docs/pi-backend-protocol.md, "Talking to the agent"): answers
 * to extension dialogs, and the agent's model, thinking level, stats and compaction. Mounted under
 * /v1/sessions behind the same guards as every other route.
 */
import { Hono } from "hono";
import type {
  CompactResponse,
  ModelsResponse,
  SetModelResponse,
  SetThinkingResponse,
  StatsResponse,
  UiAnswerResponse,
} from "../shared/protocol";
import { SetModelBody, SetThinkingBody, UiAnswerBody } from "../shared/protocol-schemas";
import { compact, listModels, sessionStats, setModel, setThinking } from "./agent-commands";
import { BackendError, UnknownTurnError } from "./errors";
import type { BackendEnv } from "./request-guards";
import { idParam, readBody } from "./route-params";
import type { SessionManager } from "./session-manager";

export function agentRoutes(manager: SessionManager): Hono<BackendEnv> {
  return new Hono<BackendEnv>()
    .post("/:sessionId/turns/:turnId/ui/:requestId", async (c) => {
      const sessionId = idParam(c.req.param("sessionId"), "sessionId");
      const turnId = idParam(c.req.param("turnId"), "turnId");
      const requestId = idParam(c.req.param("requestId"), "requestId");
      const answer = await readBody(c.req, UiAnswerBody);
      if (!manager.turns.get(sessionId, turnId)) throw new UnknownTurnError(sessionId, turnId);
      const result = manager.get(sessionId)?.answerUi(turnId, requestId, answer) ?? "unknown_request";
      if (result === "unknown_request") {
        throw new BackendError(
          404,
          "unknown_request",
          `no open dialog ${requestId} in turn ${turnId} (already answered, timed out, or the turn ended)`,
        );
      }
      if (typeof result === "object") throw new BackendError(400, "invalid_request", result.invalid);
      return c.json({ answered: true } satisfies UiAnswerResponse);
    })
    .get("/:sessionId/models", async (c) => {
      const session = manager.sessionFor(idParam(c.req.param("sessionId"), "sessionId"));
      return c.json((await listModels(session)) satisfies ModelsResponse);
    })
    .post("/:sessionId/model", async (c) => {
      const sessionId = idParam(c.req.param("sessionId"), "sessionId");
      const body = await readBody(c.req, SetModelBody);
      return c.json((await setModel(manager.sessionFor(sessionId), body)) satisfies SetModelResponse);
    })
    .post("/:sessionId/thinking", async (c) => {
      const sessionId = idParam(c.req.param("sessionId"), "sessionId");
      const body = await readBody(c.req, SetThinkingBody);
      return c.json((await setThinking(manager.sessionFor(sessionId), body.level)) satisfies SetThinkingResponse);
    })
    .get("/:sessionId/stats", async (c) => {
      const session = manager.sessionFor(idParam(c.req.param("sessionId"), "sessionId"));
      return c.json((await sessionStats(session)) satisfies StatsResponse);
    })
    .post("/:sessionId/compact", async (c) => {
      const session = manager.sessionFor(idParam(c.req.param("sessionId"), "sessionId"));
      return c.json((await compact(session)) satisfies CompactResponse);
    });
}
