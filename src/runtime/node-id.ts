/**
 * Node ids: what a system process is called among the nodes of a NATS-connected cluster. A node
 * id becomes a subject token and a stream name, so it is letters, digits, '-' and '_' only, and
 * it travels in every payload's header, so it is short. Checked with the system's options, with
 * or without NATS.
 */
import { hostname } from 'node:os';
import { invalidArgument } from '../actors/errors.js';

/** Subject tokens and stream names: letters, digits, '-' and '_' only. */
export const TOKEN = /^[A-Za-z0-9_-]+$/;
/** Longest node id (it travels in every payload's header). */
export const MAX_NODE_ID = 128;

/** Whether `s` can be a node id: a subject token of at most MAX_NODE_ID characters. */
export function isNodeId(s: string): boolean {
  return s.length <= MAX_NODE_ID && TOKEN.test(s);
}

export function sanitizeToken(s: string): string {
  const t = s.replace(/[^A-Za-z0-9_-]/g, '_');
  return t === '' ? '_' : t;
}

/** The node id: `node` option, TROUPE_NODE, or `<host>-<pid>`. */
export function nodeId(option: string | undefined, env: NodeJS.ProcessEnv): string {
  const raw = option ?? env.TROUPE_NODE ?? `${hostname()}-${process.pid}`;
  if (typeof raw !== 'string' || raw === '') throw invalidArgument('node', 'a non-empty string', raw);
  if (option !== undefined && !isNodeId(option)) throw invalidArgument('node', `letters, digits, "-" and "_" only, at most ${MAX_NODE_ID}`, option);
  return sanitizeToken(raw).slice(0, MAX_NODE_ID);
}

