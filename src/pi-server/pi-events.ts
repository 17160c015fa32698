/** Maps pi's RPC agent events onto protocol turn events. */
import { RETRYABLE, type TurnErrorCode, type TurnEventBody } from "../shared/protocol";
import type { PiRecord } from "./pi-records";

interface AssistantMessage {
  role: "assistant";
  content?: Array<{ type: string; text?: string }>;
  stopReason?: string;
  errorMessage?: string;
}

/** What one pi record means for the turn. */
export type Translation =
  | { kind: "events"; events: TurnEventBody[] }
  /** The agent stopped; `final` is the terminal event unless an auto-retry follows (only possible after an error). */
  | { kind: "agent_end"; final: TurnEventBody; mayRetry: boolean }
  /** pi is retrying after an error: the turn goes on. */
  | { kind: "retrying" }
  /** pi gave up retrying (or the retry was cancelled); no agent_end may follow. */
  | { kind: "retry_failed"; message: string };

/** Stateful translator for one turn (it remembers the last assistant message). */
export class PiEventTranslator {
  private lastAssistant: AssistantMessage | undefined;

  /** Translates one record from pi's stdout. */
  translate(record: PiRecord): Translation {
    switch (record.type) {
      case "message_update": {
        // message_update repeats the whole partial message; only the delta is new.
        const update = record.assistantMessageEvent as { type?: string; delta?: string } | undefined;
        if (update?.type === "text_delta" && update.delta) return events({ type: "text_delta", delta: update.delta });
        return events();
      }
      case "message_end": {
        const message = record.message as { role?: string } | undefined;
        if (message?.role === "assistant") this.lastAssistant = message as AssistantMessage;
        return events();
      }
      case "tool_execution_start":
        return events({ type: "tool_start", tool: String(record.toolName), args: record.args ?? {} });
      case "tool_execution_end":
        return events({ type: "tool_end", tool: String(record.toolName), isError: record.isError === true });
      case "auto_retry_start":
        return { kind: "retrying" };
      case "auto_retry_end":
        if (record.success === true) return events();
        return { kind: "retry_failed", message: String(record.finalError ?? "the model kept failing") };
      case "agent_end":
        return this.agentEnd();
      default:
        return events();
    }
  }

  private agentEnd(): Translation {
    const message = this.lastAssistant;
    if (message?.stopReason === "aborted") {
      return { kind: "agent_end", final: turnError("aborted", "the turn was aborted"), mayRetry: false };
    }
    if (message?.stopReason === "error") {
      const final = turnError("llm_error", message.errorMessage || "the model returned an error");
      return { kind: "agent_end", final, mayRetry: true };
    }
    return { kind: "agent_end", final: { type: "turn_end", text: assistantText(message) }, mayRetry: false };
  }
}

/** The text parts of an assistant message, joined. */
export function assistantText(message: AssistantMessage | undefined): string {
  return (message?.content ?? [])
    .filter((part) => part.type === "text")
    .map((part) => part.text ?? "")
    .join("");
}

/** A turn_error body with the protocol's retryability for its code. */
export function turnError(code: TurnErrorCode, message: string): TurnEventBody {
  return { type: "turn_error", code, message, retryable: RETRYABLE[code] };
}

function events(...list: TurnEventBody[]): Translation {
  return { kind: "events", events: list };
}
