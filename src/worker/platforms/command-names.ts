/** The chat commands' names, as typed on any platform. */
import type { Command } from "./adapter";

const COMMANDS: readonly Command[] = ["new", "stop", "status", "help"];

/** The command a word names (`stop`, `/stop`, `STOP`), or null. */
export function parseCommand(word: string): Command | null {
  const name = word.trim().replace(/^\//, "").toLowerCase();
  return (COMMANDS as readonly string[]).includes(name) ? (name as Command) : null;
}
