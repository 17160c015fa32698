/** The Worker's client for pi backend protocol v1 (docs/pi-backend-protocol.md). */

import type {
  CompactResponse,
  ModelsResponse,
  ProtocolErrorBody,
  SetModelRequest,
  SetModelResponse,
  SetThinkingResponse,
  StatsResponse,
  SubmitTurnResponse,
  ThinkingLevel,
  TurnEvent,
  UiAnswer,
} from "../../shared/protocol";
import { readJsonLines } from "./ndjson";

/** A backend call failed; `code` is the protocol error code, or `unreachable`/`bad_response`. */
export class BackendError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 0,
    readonly runningTurnId?: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

export class PiBackendClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  /** Starts a turn, or finds the one with this turnId (the backend never prompts twice for it). */
  async submitTurn(sessionId: string, turnId: string, message: string): Promise<SubmitTurnResponse> {
    const res = await this.call("POST", `/v1/sessions/${enc(sessionId)}/turns`, { turnId, message });
    return (await res.json()) as SubmitTurnResponse;
  }

  /** Streams the turn's events with `seq > after`, ending after the terminal event or when the connection drops. */
  async *events(sessionId: string, turnId: string, after: number, signal?: AbortSignal): AsyncGenerator<TurnEvent> {
    const res = await this.call("GET", `/v1/sessions/${enc(sessionId)}/turns/${enc(turnId)}/events?after=${after}`, undefined, signal);
    if (!res.body) throw new BackendError("bad_response", "events response has no body", res.status);
    for await (const line of readJsonLines(res.body)) yield line as TurnEvent;
  }

  /** Aborts the session's running turn, if any. */
  async abort(sessionId: string): Promise<boolean> {
    const res = await this.call("POST", `/v1/sessions/${enc(sessionId)}/abort`);
    return ((await res.json()) as { aborted: boolean }).aborted;
  }

  /** Makes the next turn start a fresh conversation. */
  async reset(sessionId: string): Promise<void> {
    await (await this.call("POST", `/v1/sessions/${enc(sessionId)}/reset`)).body?.cancel();
  }

  /** Stops the session's pi process; history is kept and resumed by the next turn. */
  async releaseSession(sessionId: string): Promise<boolean> {
    const res = await this.call("DELETE", `/v1/sessions/${enc(sessionId)}`);
    return ((await res.json()) as { released: boolean }).released;
  }

  /** Answers an extension dialog of a running turn. */
  async answerUi(sessionId: string, turnId: string, requestId: string, answer: UiAnswer): Promise<void> {
    await (await this.call("POST", `/v1/sessions/${enc(sessionId)}/turns/${enc(turnId)}/ui/${enc(requestId)}`, answer)).body?.cancel();
  }

  /** The models pi knows, the session's current one and its thinking level. */
  async models(sessionId: string): Promise<ModelsResponse> {
    return (await (await this.call("GET", `/v1/sessions/${enc(sessionId)}/models`)).json()) as ModelsResponse;
  }

  async setModel(sessionId: string, model: SetModelRequest): Promise<SetModelResponse> {
    return (await (await this.call("POST", `/v1/sessions/${enc(sessionId)}/model`, model)).json()) as SetModelResponse;
  }

  async setThinking(sessionId: string, level: ThinkingLevel): Promise<SetThinkingResponse> {
    return (await (await this.call("POST", `/v1/sessions/${enc(sessionId)}/thinking`, { level })).json()) as SetThinkingResponse;
  }

  async stats(sessionId: string): Promise<StatsResponse> {
    return (await (await this.call("GET", `/v1/sessions/${enc(sessionId)}/stats`)).json()) as StatsResponse;
  }

  async compact(sessionId: string): Promise<CompactResponse> {
    return (await (await this.call("POST", `/v1/sessions/${enc(sessionId)}/compact`)).json()) as CompactResponse;
  }

  /** Every POST carries a JSON body (`{}` when it has nothing to say): the backend refuses any other POST with 415. */
  private async call(method: "GET" | "POST" | "DELETE", path: string, body?: object, signal?: AbortSignal): Promise<Response> {
    const post = method === "POST";
    let res: Response;
    try {
      res = await fetch(this.baseUrl.replace(/\/+$/, "") + path, {
        method,
        signal,
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(post ? { "content-type": "application/json" } : {}),
        },
        body: post ? JSON.stringify(body ?? {}) : undefined,
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new BackendError("unreachable", `pi backend unreachable: ${(err as Error).message}`);
    }
    if (res.ok) return res;
    let error: ProtocolErrorBody["error"] | undefined;
    try {
      error = ((await res.json()) as ProtocolErrorBody).error;
    } catch {
      // not a protocol error body: keep the status alone
    }
    const retryAfter = Number(res.headers.get("retry-after"));
    throw new BackendError(
      error?.code ?? `http_${res.status}`,
      error?.message ?? `pi backend answered ${res.status}`,
      res.status,
      error?.runningTurnId,
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
    );
  }
}

function enc(id: string): string {
  return encodeURIComponent(id);
}
