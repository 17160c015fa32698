import type { Env as EvieEnv } from "../../src/worker/config/config";

declare global {
  namespace Cloudflare {
    interface Env extends EvieEnv {}
  }
}
