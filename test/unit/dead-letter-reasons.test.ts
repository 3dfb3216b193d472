import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { DEAD_LETTER_REASONS, isDeadLetterReason } from '../../src/actors/dead-letter-reasons.js';
import { runDlq } from '../../src/cli/dlq.js';

describe('dead-letter reasons', () => {
  it('documents exactly the reasons the code gives (docs/dead-letters.md)', () => {
    const doc = readFileSync(new URL('../../docs/dead-letters.md', import.meta.url), 'utf8');
    const documented = [...doc.matchAll(/^\| `([a-z-]+)` \|/gm)].map((m) => m[1]).sort();
    expect(documented).toEqual(Object.keys(DEAD_LETTER_REASONS).sort());
  });

  it('names every reason the README lists, and no other', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const para = readme.slice(readme.indexOf('**Dead-letter reasons**'));
    const listed = [...para.slice(0, para.indexOf('\n\n')).matchAll(/`([a-z]+(?:-[a-z]+)*)`/g)].map((m) => m[1]!);
    for (const r of listed) expect(isDeadLetterReason(r), r).toBe(true);
    expect(new Set(listed)).toEqual(new Set(Object.keys(DEAD_LETTER_REASONS)));
  });

  it('tells a reason from any other string', () => {
    expect(isDeadLetterReason('mailbox-full')).toBe(true);
    expect(isDeadLetterReason('toString')).toBe(false);
    expect(isDeadLetterReason('mailbox_full')).toBe(false);
    expect(isDeadLetterReason(undefined)).toBe(false);
  });

  it('troupe dlq refuses a --reason that is none, saying which there are (a typo would list nothing)', async () => {
    await expect(runDlq(['list', '--reason', 'mailbox_full', '--nats', 'nats://127.0.0.1:1'])).rejects.toThrow(/--reason must be one of: actor-failed, /);
  });
});
