/** A setting is missing, malformed or unsafe; the message names it and says what to set. Both runtimes throw it. */
export class ConfigError extends Error {
  readonly code = "config_error";
}
