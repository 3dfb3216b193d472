/**
 * `--actor <file>`: the user's actor module, loaded and checked on the main thread before any
 * system starts, so that bad input is one line and an exit code, never a stack trace.
 */

import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchMessages, type BenchExports, type BenchMessages } from './messages.js';

/** Bad input from the user (the --actor module): the runner prints its message alone, without a stack. */
export class BenchInputError extends Error {
  override name = 'BenchInputError';
}

/** A checked --actor module. */
export interface UserActor {
  /** As given on the command line. */
  file: string;
  url: URL;
  messages: BenchMessages;
  /** Its `benchArgs` export: the spawn args. */
  args: unknown;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}

/** Loads `file` (relative to the current folder) and checks its exports; throws BenchInputError. */
export async function loadUserActor(file: string): Promise<UserActor> {
  const fail = (why: string) => new BenchInputError(`--actor ${file}: ${why}`);
  const path = resolve(file);
  if (!existsSync(path) || !statSync(path).isFile()) throw fail('no such file');
  const url = pathToFileURL(path);
  let mod: BenchExports;
  try {
    mod = (await import(url.href)) as BenchExports;
  } catch (err) {
    const js = (err as { code?: unknown }).code === 'ERR_UNKNOWN_FILE_EXTENSION' ? ' (compile it to JavaScript first)' : '';
    throw fail(`could not be loaded: ${firstLine(err)}${js}`);
  }
  const { isDefinedActor } = await import('troupe');
  if (!isDefinedActor(mod.default)) throw fail('its default export is not an actor: export default defineActor({ ... })');
  let messages: BenchMessages;
  try {
    messages = benchMessages(mod);
    messages.message(0);
    messages.ask(0);
  } catch (err) {
    throw fail(firstLine(err));
  }
  return { file, url, messages, args: mod.benchArgs };
}
