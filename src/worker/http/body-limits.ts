/**
 * Which body limit an /api request gets: a message may carry attachments (API_MAX_MESSAGE_BODY_BYTES),
 * every other request API_MAX_BODY_BYTES. Decided on the path the router matches.
 */
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { formatBytes } from "../../shared/attachments";
import { PROTOCOL_MAX_TURN_BODY_BYTES } from "../../shared/protocol";
import type { Env } from "../config/env";
import { ApiError } from "./errors";
import { limitBody } from "./middleware";

/** Largest `POST /api/chats/{chatId}/messages` body: as much as the turn request it becomes may carry. */
export const API_MAX_MESSAGE_BODY_BYTES = PROTOCOL_MAX_TURN_BODY_BYTES;

const MESSAGES_ROUTE = /^\/api\/chats\/[^/]+\/messages$/;

const limitMessageBody = bodyLimit({
  maxSize: API_MAX_MESSAGE_BODY_BYTES,
  onError: () => {
    throw new ApiError(
      413,
      "payload_too_large",
      `request body is larger than ${formatBytes(API_MAX_MESSAGE_BODY_BYTES)} (attachments: images up to 5 MiB, files up to 10 ` +
        `MiB, 20 MiB in all)`,
    );
  },
});

/** 413 `payload_too_large` past the request's limit: the messages route's, or API_MAX_BODY_BYTES. */
export const limitApiBody = createMiddleware<{ Bindings: Env }>((c, next) =>
  c.req.method === "POST" && MESSAGES_ROUTE.test(c.req.path) ? limitMessageBody(c, next) : limitBody(c, next),
);
