/** The Worker's client for pi backend protocol v1 (docs/pi-backend-protocol.md). */

import type {
  CompactResponse,
  HealthResponse,
  ListSessionsResponse,
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
import type { TurnAttachment } from "../../shared/protocol-schemas";
import { callDeadline, DEFAULT_CALL_TIMEOUT_MS } from "./call-timeout";

/** Limit of `POST .../compact` (pi summarises the conversation with the model). */
const COMPACT_TIMEOUT_MS = 5 * 60_000;

import { readJsonLines } from "./ndjson";
import { accessHint, type BackendTransport, directTransport, withTraceId } from "./transport";

/** A backend call failed; `code` is the protocol error code, or `unreachable`/`timeout`/`bad_response`. */
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

/** How the client reaches the backend, and how long a call may take (see call-timeout.ts). */
export interface PiClientOptions {
  /** Which fetch and extra headers (transport.ts); default: the global fetch, no extra headers. */
  transport?: BackendTransport;
  /** Until the response's headers arrive; default DEFAULT_CALL_TIMEOUT_MS. */
  timeoutMs?: number;
}

export class PiBackendClient {
  private readonly transport: BackendTransport;

  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly options: PiClientOptions = {},
  ) {
    this.transport = options.transport ?? directTransport;
  }

  /** The same client sending `traceId` as `X-Trace-Id` on every call (one per turn; the backend logs it). */
  withTrace(traceId: string): PiBackendClient {
    return new PiBackendClient(this.baseUrl, this.token, { ...this.options, transport: withTraceId(this.transport, traceId) });
  }

  /** The backend's `/healthz`: up, and how many sessions (pi processes) it holds. */
  async health(): Promise<HealthResponse> {
    return (await (await this.call("GET", "/healthz")).json()) as HealthResponse;
  }

  /** Every live session; needs the bearer token, so it also proves the token is right. */
  async listSessions(): Promise<ListSessionsResponse> {
    return (await (await this.call("GET", "/v1/sessions")).json()) as ListSessionsResponse;
  }

  /** Starts a turn, or finds the one with this turnId (the backend never prompts twice for it). */
  async submitTurn(sessionId: string, turnId: string, message: string, attachments?: TurnAttachment[]): Promise<SubmitTurnResponse> {
    const body = attachments?.length ? { turnId, message, attachments } : { turnId, message };
    const res = await this.call("POST", `/v1/sessions/${enc(sessionId)}/turns`, body);
    return (await res.json()) as SubmitTurnResponse;
  }

  /** Streams the turn's events with `seq > after`, ending after the terminal event or when the connection drops. */
  async *events(sessionId: string, turnId: string, after: number, signal?: AbortSignal): AsyncGenerator<TurnEvent> {
    const res = await this.call("GET", `/v1/sessions/${enc(sessionId)}/turns/${enc(turnId)}/events?after=${after}`, undefined, signal);
    if (!res.body) throw new BackendError("bad_response", "events response has no body", res.status);
    // Heartbeat lines come through too: the turn runner's stall watchdog counts them as signs of life.
    for await (const line of readJsonLines(res.body)) yield line as TurnEvent;
  }

  /** Aborts the session's running turn, if any. */
  async abort(sessionId: string): Promise<boolean> {
    const res = await this.call("POST", `/v1/sessions/${enc(sessionId)}/abort`);
    return ((await res.json()) as { aborted: boolean }).aborted;
  }

  /** Sends a message into the session's running turn; false when no turn is running (409 `not_running`). */
  async steer(sessionId: string, message: string, signal?: AbortSignal): Promise<boolean> {
    try {
      const res = await this.call("POST", `/v1/sessions/${enc(sessionId)}/steer`, { message }, signal);
      return ((await res.json()) as { steered: boolean }).steered === true;
    } catch (err) {
      if (err instanceof BackendError && err.code === "not_running") return false;
      throw err;
    }
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
    // Compaction is an LLM call that may take minutes: it gets its own limit, not the per-call one.
    const timeoutMs = Math.max(this.options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS, COMPACT_TIMEOUT_MS);
    return (await (await this.call("POST", `/v1/sessions/${enc(sessionId)}/compact`, {}, undefined, timeoutMs)).json()) as CompactResponse;
  }

  /** Every POST carries a JSON body (`{}` when it has nothing to say): the backend refuses any other POST with 415. */
  private async call(
    method: "GET" | "POST" | "DELETE",
    path: string,
    body?: object,
    signal?: AbortSignal,
    timeoutMs = this.options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS,
  ): Promise<Response> {
    const post = method === "POST";
    const deadline = callDeadline(timeoutMs, signal);
    let res: Response;
    try {
      res = await this.transport.fetch(this.baseUrl.replace(/\/+$/, "") + path, {
        method,
        signal: deadline.signal,
        // A redirect is Cloudflare Access sending us to its login page, never an answer of the backend.
        redirect: "manual",
        headers: {
          ...this.transport.headers,
          authorization: `Bearer ${this.token}`,
          ...(post ? { "content-type": "application/json" } : {}),
        },
        body: post ? JSON.stringify(body ?? {}) : undefined,
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      if (deadline.timedOut()) throw new BackendError("timeout", `pi backend did not answer ${method} ${path} in ${deadline.ms} ms`);
      throw new BackendError("unreachable", `pi backend unreachable: ${(err as Error).message}`);
    } finally {
      deadline.clear();
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
      error?.message ?? `pi backend answered ${res.status}${accessHint(res)}`,
      res.status,
      error?.runningTurnId,
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
    );
  }
}

function enc(id: string): string {
  return encodeURIComponent(id);
}
