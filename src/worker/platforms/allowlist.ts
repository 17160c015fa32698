/** ALLOWED_USERS: who may talk to the agent from a chat platform. */
import type { Env } from "../config/env";

/**
 * Whether `userId` (`telegram:123`, `slack:U0123`) is allowed. Unset or empty allows nobody:
 * a bot behind a public webhook must not run an agent for strangers by default, and the
 * refusal tells the sender the id to add.
 */
export function isAllowed(env: Env, userId: string): boolean {
  const entries = (env.ALLOWED_USERS ?? "").split(",").map((entry) => entry.trim());
  return entries.includes("*") || entries.includes(userId);
}

/** What someone not on the list is told (at most once per hour). */
export function notAuthorizedText(userId: string): string {
  return `Sorry, you are not authorized to use this bot; your id is ${userId}. Ask its owner to add it to ALLOWED_USERS.`;
}
