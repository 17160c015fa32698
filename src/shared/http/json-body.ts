/** Reading a JSON request body: read the text once, parse it, validate it; a mistake is a 400 naming the field. */
import type { z } from "zod";
import { HttpError } from "./http-error";

/** The codes (and the not-JSON message) a server answers bad bodies with; each server's contract fixes its own. */
export interface BodyErrorCodes {
  notJson: { code: string; message: string };
  invalidField: string;
}

/** Reads `req`'s body as text once and parses it as JSON; 400 `codes.notJson` when it is not. */
export async function readJson(req: { text(): Promise<string> }, codes: Pick<BodyErrorCodes, "notJson">): Promise<unknown> {
  const text = await req.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, codes.notJson.code, codes.notJson.message);
  }
}

/** `field: what is wrong` for a zod issue, the field as a dotted path (`body` for the whole body). */
export function describeIssue(issue: z.core.$ZodIssue | undefined): { field: string; message: string } {
  const field = issue?.path.join(".") || "body";
  const text = issue?.message ?? "invalid";
  // Schemas may already word their messages as `field: ...`; never say the field twice.
  return { field, message: text.startsWith(`${field}:`) ? text : `${field}: ${text}` };
}

/** Any zod schema: the classic API (the pi server) or `zod/mini` (the Worker, whose bundle stays small). */
type Schema = z.core.$ZodType & { safeParse(value: unknown): z.core.util.SafeParseResult<unknown> };

/** Validates `value` with `schema`; 400 `code` with `{field}` and a message naming it when it fails. */
export function validate<T extends Schema>(schema: T, value: unknown, code: string): z.core.output<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data as z.core.output<T>;
  const { field, message } = describeIssue(parsed.error.issues[0]);
  throw new HttpError(400, code, message, { field });
}

/** A server's body reader: `readBody(c.req, Schema)` reads, parses and validates, answering 400 with its codes. */
export function jsonBodyReader(codes: BodyErrorCodes) {
  return async <T extends Schema>(req: { text(): Promise<string> }, schema: T): Promise<z.core.output<T>> =>
    validate(schema, await readJson(req, codes), codes.invalidField);
}
