/** The chat commands' names, as typed on any platform. */
import type { Command } from "./adapter";

const COMMANDS: readonly Command[] = ["new", "stop", "status", "help", "model", "thinking", "stats", "compact", "verbose"];
/** Commands that take an argument (`model fake-2`, `thinking high`, `verbose off`). */
const WITH_ARGS: readonly Command[] = ["model", "thinking", "verbose"];

/** The command a word names (`stop`, `/stop`, `STOP`), or null. */
export function parseCommand(word: string): Command | null {
  const name = word.trim().replace(/^\//, "").toLowerCase();
  return (COMMANDS as readonly string[]).includes(name) ? (name as Command) : null;
}

/**
 * A whole message read as a command where commands are plain words (Slack): the command alone, or
 * one that takes an argument followed by exactly one more word (`model fake-2`), so an ordinary
 * sentence that starts with "model" still goes to the agent. Null when the text is not a command.
 */
export function parseCommandLine(text: string): { command: Command; args: string } | null {
  const words = text.trim().split(/\s+/);
  const command = parseCommand(words[0] ?? "");
  if (!command || words.length > 2) return null;
  if (words.length === 2 && !WITH_ARGS.includes(command)) return null;
  return { command, args: words[1] ?? "" };
}

/** What follows the command word in a message (`/model fake-2` → `fake-2`). */
export function commandArgs(text: string): string {
  return text.trim().split(/\s+/).slice(1).join(" ");
}
