/**
 * zod/mini carries no messages: without a locale every failed check without its own text reads just
 * "Invalid input". The English ones (what the full `zod` loads on import) keep a 400 saying what was
 * wrong, e.g. `attachments.0.mimeType: Invalid input: expected string, received number`.
 * Imported for this effect by the composition root (app.ts).
 */
import { config } from "zod/mini";
import en from "zod/v4/locales/en.js";

config(en());
