/** The chat commands' names, as typed on any platform. */
import type { Command } from "./adapter";

const COMMANDS: readonly Command[] = ["new", "stop", "status", "help", "queue"];

/** Commands that take one word after their name (`queue collect`). */
const WITH_ARGUMENT: ReadonlySet<Command> = new Set(["queue"]);

/**
 * The command a text names (`stop`, `/stop`, `STOP`, `queue collect`), or null. Words after a
 * command that takes none make it a message for the agent ("stop the build" is not /stop).
 */
export function parseCommand(text: string): Command | null {
  const [first = "", ...rest] = text.trim().split(/\s+/);
  const name = first.replace(/^\//, "").toLowerCase();
  if (!(COMMANDS as readonly string[]).includes(name)) return null;
  return rest.length <= (WITH_ARGUMENT.has(name as Command) ? 1 : 0) ? (name as Command) : null;
}

/** The words after the command's name (`/queue@bot collect` → `["collect"]`). */
export function commandArguments(text: string): string[] {
  return text.trim().split(/\s+/).slice(1);
}
