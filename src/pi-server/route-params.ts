/** Path and body readers shared by the backend's routes. */
import { jsonBodyReader } from "../shared/http/json-body";
import { isValidId } from "../shared/protocol";
import { BackendError } from "./errors";

/** Validates a path id (Hono hands it over URL-decoded). */
export function idParam(value: string | undefined, name: string): string {
  if (value === undefined || !isValidId(value)) {
    throw new BackendError(400, "invalid_request", `${name} must match [A-Za-z0-9._:-]{1,128} and not be "." or ".."`);
  }
  return value;
}

/** Reads the body once as text (bodyLimit has bounded it), parses JSON, validates; 400 invalid_request naming the field. */
export const readBody = jsonBodyReader({
  notJson: { code: "invalid_request", message: "the body must be JSON" },
  invalidField: "invalid_request",
});
