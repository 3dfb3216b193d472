/**
 * Error classification: every failure gets a category (what kind of thing went wrong) and a
 * severity (pino's levels), which the decider maps to a directive and logs carry.
 *
 * Users tag their own errors by giving them `category` and/or `severity` fields (or with
 * `tagError`). Untagged errors are classified from what they are: troupe's own codes, Node's
 * system error codes, and the usual built-in error classes.
 */

export const CATEGORIES = [
  'connection', 'processing', 'serialization', 'validation', 'timeout', 'mailbox-overflow',
  'resource-exhaustion', 'authentication', 'configuration', 'unknown',
] as const;
export type ErrorCategory = (typeof CATEGORIES)[number];

/** pino's levels, lowest to highest. */
export const SEVERITIES = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface Classification {
  category: ErrorCategory;
  severity: Severity;
}

/** Marks an error with a category and severity (returns the same error). */
export function tagError<E extends Error>(error: E, tag: Partial<Classification>): E {
  return Object.assign(error, tag);
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED']);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ERR_TROUPE_ASK_TIMEOUT', 'ERR_TROUPE_CONTROL_TIMEOUT', 'ABORT_ERR']);
const RESOURCE_CODES = new Set(['ENOMEM', 'EMFILE', 'ENFILE', 'ENOSPC', 'ERR_WORKER_OUT_OF_MEMORY']);
const AUTH_CODES = new Set(['EACCES', 'EPERM', 'ERR_TLS_CERT_ALTNAME_INVALID']);

const DEFAULT_SEVERITY: Record<ErrorCategory, Severity> = {
  connection: 'warn',
  processing: 'error',
  serialization: 'warn',
  validation: 'warn',
  timeout: 'warn',
  'mailbox-overflow': 'warn',
  'resource-exhaustion': 'fatal',
  authentication: 'error',
  configuration: 'error',
  unknown: 'error',
};

export function classify(error: unknown): Classification {
  const e = (error ?? {}) as { category?: unknown; severity?: unknown; code?: unknown; name?: unknown };
  const category = isCategory(e.category) ? e.category : categoryOf(e);
  const severity = isSeverity(e.severity) ? e.severity : DEFAULT_SEVERITY[category];
  return { category, severity };
}

function categoryOf(e: { code?: unknown; name?: unknown }): ErrorCategory {
  const code = typeof e.code === 'string' ? e.code : '';
  const name = typeof e.name === 'string' ? e.name : '';
  if (CONNECTION_CODES.has(code)) return 'connection';
  if (TIMEOUT_CODES.has(code) || name === 'TimeoutError' || name === 'AskTimeoutError') return 'timeout';
  if (RESOURCE_CODES.has(code) || name === 'RangeError' && /call stack|allocation|memory/i.test(String((e as Error).message))) return 'resource-exhaustion';
  if (AUTH_CODES.has(code)) return 'authentication';
  if (code === 'ERR_TROUPE_MAILBOX_FULL') return 'mailbox-overflow';
  if (code === 'ERR_TROUPE_UNENCODABLE_MESSAGE' || name === 'DataCloneError' || name === 'SyntaxError' && /JSON/.test(String((e as Error).message))) return 'serialization';
  if (code === 'ERR_TROUPE_INVALID_ARGUMENT' || /Validation/i.test(name)) return 'validation';
  if (code === 'ERR_TROUPE_INIT_FAILED' || code === 'ERR_TROUPE_MODULE_NOT_FOUND' || code === 'ERR_TROUPE_NOT_AN_ACTOR' || /Config/i.test(name)) return 'configuration';
  if (name === 'TypeError' || name === 'RangeError' || name === 'Error' || name === 'ReferenceError') return 'processing';
  return 'unknown';
}

function isCategory(v: unknown): v is ErrorCategory {
  return typeof v === 'string' && (CATEGORIES as readonly string[]).includes(v);
}

function isSeverity(v: unknown): v is Severity {
  return typeof v === 'string' && (SEVERITIES as readonly string[]).includes(v);
}
