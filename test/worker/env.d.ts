import type { Env as EvieEnv } from "../../src/worker/index";

declare global {
  namespace Cloudflare {
    interface Env extends EvieEnv {}
  }
}
