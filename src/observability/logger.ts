/**
 * troupe's logs: pino everywhere. Workers write synchronously to stdout's fd, so a line written
 * just before a crash is not lost in a transport thread (pinojs/pino#2054).
 */
import { pino, type Logger, type LoggerOptions } from 'pino';

export type LoggerOption = Logger | LoggerOptions | false | undefined;

export function defaultLevel(): string {
  return process.env.TROUPE_LOG_LEVEL ?? 'info';
}

/** Builds the system's logger from the user's option: their own pino, pino options, or false (silent). */
export function createLogger(option: LoggerOption): Logger {
  if (option === false) return pino({ level: 'silent' });
  if (option && typeof (option as Logger).child === 'function') return option as Logger;
  const opts = (option ?? {}) as LoggerOptions;
  return pino({ level: defaultLevel(), ...opts }, pino.destination({ fd: 1, sync: true }));
}
