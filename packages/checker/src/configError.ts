import { CheckerError } from "./errors.ts";

/** A config value (file, network file, environment or flag) that cannot be used: names the field, its source and why. */
export class ConfigError extends CheckerError {
  override name = "ConfigError";
  readonly field: string;
  readonly source: string;
  constructor(field: string, source: string, reason: string) {
    super(`invalid config value for "${field}" (from ${source}): ${reason}`);
    this.field = field;
    this.source = source;
  }
}
