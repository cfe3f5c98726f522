import { type LevelWithSilent, type Logger, pino } from "pino";
import pretty from "pino-pretty";

export type { Logger };

export interface LoggerOptions {
  level?: LevelWithSilent;
  /** Pretty, coloured lines; defaults to true when stdout is a terminal. */
  pretty?: boolean;
  name?: string;
}

/** JSON logs for services and files, pretty ones when a human is watching a terminal. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? "info";
  const usePretty = options.pretty ?? process.stdout.isTTY === true;
  const base = { level, name: options.name ?? "checker" };
  if (!usePretty) return pino(base);
  return pino(base, pretty({ colorize: true, translateTime: "HH:MM:ss.l", ignore: "pid,hostname" }));
}
