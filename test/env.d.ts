import type { Env as EvieEnv } from "../src/env";

declare global {
  namespace Cloudflare {
    interface Env extends EvieEnv {}
  }
}
