/** Every chat platform's adapter, by name. Adding a platform is one file plus one line here. */
import type { Platform, PlatformAdapter } from "./adapter";
import { slack } from "./slack/adapter";
import { telegram } from "./telegram/adapter";

export const adapters: Record<Platform, PlatformAdapter> = { telegram, slack };
