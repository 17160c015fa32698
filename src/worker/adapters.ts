/** Every chat platform's adapter, by name. Adding a platform is one folder under platforms/ plus one line here. */
import type { Platform, PlatformAdapter } from "./platforms/adapter";
import { slack } from "./platforms/slack/adapter";
import { telegram } from "./platforms/telegram/adapter";

export const adapters: Record<Platform, PlatformAdapter> = { telegram, slack };
