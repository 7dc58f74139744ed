// Errors the operator sees. Each has a stable `code` (undici style) and an
// optional `cause`; they never reach an initiator (that is ScsiError's job).

export class VtlError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A configuration value is wrong: `key` is the dotted path, `reason` says why. */
export class ConfigError extends VtlError {
  readonly key: string;
  constructor(key: string, reason: string) {
    super('VTL_CONFIG_INVALID', `config: ${key}: ${reason}`);
    this.key = key;
  }
}

/** The operator asked for something that cannot be done; the message says what to do instead. */
export class UsageError extends VtlError {
  constructor(message: string) {
    super('VTL_USAGE', message);
  }
}
