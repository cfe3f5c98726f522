import { createRequire } from "node:module";
import { type LevelWithSilent, type Logger, pino } from "pino";
import type PinoPretty from "pino-pretty";

export type { Logger };

export interface LoggerOptions {
  level?: LevelWithSilent;
  /** Pretty, coloured lines; defaults to true when stdout is a terminal. */
  pretty?: boolean;
  name?: string;
}

// pino-pretty (54 modules, +1.5 MiB RSS; docs/footprint.md) is loaded only when a terminal is watching: a
// node writing JSON to a file or a service manager never needs it. It is CommonJS, so a synchronous require
// keeps createLogger synchronous.
const requireModule = createRequire(import.meta.url);

/** JSON logs for services and files, pretty ones when a human is watching a terminal. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? "info";
  const usePretty = options.pretty ?? process.stdout.isTTY === true;
  const base = { level, name: options.name ?? "checker" };
  if (!usePretty) return pino(base);
  const pretty = requireModule("pino-pretty") as typeof PinoPretty;
  return pino(base, pretty({ colorize: true, translateTime: "HH:MM:ss.l", ignore: "pid,hostname" }));
}
