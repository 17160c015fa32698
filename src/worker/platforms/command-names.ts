/** The chat commands' names, as typed on any platform. */
import type { Command } from "./adapter";

const COMMANDS: readonly Command[] = ["new", "stop", "status", "help", "queue", "model", "thinking", "stats", "compact", "verbose"];

/** Commands that take one word after their name (`queue collect`, `model fake-2`, `thinking high`, `verbose off`). */
const WITH_ARGUMENT: ReadonlySet<Command> = new Set(["queue", "model", "thinking", "verbose"]);

/**
 * The command a text names (`stop`, `/stop`, `STOP`, `queue collect`, `model fake-2`), or null. Words
 * after a command that takes none make it a message for the agent ("stop the build" is not /stop), and
 * so do two or more words after one that takes an argument ("model the data…" is a prompt).
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

/**
 * A whole message read as a command where commands are plain words (Slack): the command alone, or
 * one that takes an argument followed by exactly one more word (`model fake-2`), so an ordinary
 * sentence that starts with "model" still goes to the agent. Null when the text is not a command.
 */
export function parseCommandLine(text: string): { command: Command; args: string } | null {
  const command = parseCommand(text);
  return command ? { command, args: commandArgs(text) } : null;
}

/** What follows the command word in a message (`/model fake-2` → `fake-2`). */
export function commandArgs(text: string): string {
  return commandArguments(text).join(" ");
}
