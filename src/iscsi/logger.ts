// The logging surface the transport needs. src/log.ts's winston Logger satisfies it
// structurally; tests pass a silent or capturing one.

export interface Logger {
  debug(msg: string, meta?: Record<string, unknown>): void;
  info(msg: string, meta?: Record<string, unknown>): void;
  warn(msg: string, meta?: Record<string, unknown>): void;
  error(msg: string, meta?: Record<string, unknown>): void;
  /** winston's: lets a per-command debug line cost nothing when debug is off. */
  isDebugEnabled?(): boolean;
}

/** A logger that drops everything. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
