// The process logger: human-readable on a TTY, one JSON object per line otherwise.
import winston from 'winston';

export interface Logger {
  debug(msg: string, meta?: Record<string, unknown>): void;
  info(msg: string, meta?: Record<string, unknown>): void;
  warn(msg: string, meta?: Record<string, unknown>): void;
  error(msg: string, meta?: Record<string, unknown>): void;
  child(meta: Record<string, unknown>): Logger;
}

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export function createLogger(level: LogLevel, tty = process.stderr.isTTY === true): Logger {
  const { combine, timestamp, json, printf, colorize } = winston.format;
  const human = printf(({ level: lvl, message, timestamp: ts, ...meta }) => {
    const rest = Object.keys(meta).length > 0 ? ' ' + JSON.stringify(meta) : '';
    return `${String(ts)} ${lvl} ${String(message)}${rest}`;
  });
  return winston.createLogger({
    level,
    format: tty ? combine(colorize(), timestamp(), human) : combine(timestamp(), json()),
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })],
  });
}
