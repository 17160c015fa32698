/**
 * evie-edge Worker: Hono routes in front of one ChatSession Durable Object per chat and one
 * Registry. The entry wrangler deploys: the app (app.ts) and the Durable Object classes.
 */
import { app, type Env } from "./app";

export type { Env } from "./app";
export { ChatSession } from "./chat-session";
export { Registry } from "./registry/registry";

export default app satisfies ExportedHandler<Env>;
