// The one log line `process` writes per mail (src/transport/mail-log.ts): the
// MTA's queue id, the client, each onward result and the exit code per recipient.

import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, ok } from './helpers.js';
import { fixture, tempDir } from './run-cli.js';

describe('process: the mail\'s log line', () => {
  const dir = tempDir();
  const store = join(dir.path, 'store');
  afterAll(() => dir.remove());

  it('puts the MTA\'s queue id, the client and each onward result in the mail\'s line', () => {
    const mailRoot = join(dir.path, 'mail');
    const result = ok(
      ['process', '--recipient', 'alice@example.com', '--queue-id', '4XyZ1a2B3c', '--client-address', '203.0.113.7', '--deliver', `maildir:${mailRoot}/{user}`],
      { store, input: fixture('request-alice.eml') },
    );
    const line = result.logs.find((l) => l.msg === 'mail done')!;
    expect(line).toMatchObject({ protocol: 'pipe', queueId: '4XyZ1a2B3c', client: '203.0.113.7', answers: [{ recipient: 'mailto:alice@example.com', code: 0 }] });
    const onward = line.onward as Array<{ recipient: string; ok: boolean; to: string }>;
    expect(onward).toHaveLength(1);
    expect(onward[0]).toMatchObject({ recipient: 'mailto:alice@example.com', ok: true });
    expect(onward[0]!.to.startsWith(join(mailRoot, 'alice@example.com', 'new'))).toBe(true);
    // Mail submitted on the MTA's host: an empty client address.
    const local = ok(['process', '--recipient', 'alice@example.com', '--client-address', ''], { store, input: fixture('request-alice.eml') });
    expect(local.logs.find((l) => l.msg === 'mail done')).toMatchObject({ client: 'local' });
  });

  it('names the recipient and the error of an onward delivery that failed, in a warning line', () => {
    const result = cli(['process', '--recipient', 'alice@example.com', '--deliver', 'lmtp:127.0.0.1:1'], { store, input: fixture('plain.eml') });
    expect(result.code).toBe(75);
    const line = result.logs.find((l) => l.msg === 'mail not done for every recipient')!;
    expect(line.level).toBe('warn');
    expect(line.onward).toEqual([{ recipient: 'mailto:alice@example.com', ok: false, error: expect.stringMatching(/cannot deliver to lmtp:127\.0\.0\.1:1: .*ECONNREFUSED/) }]);
    expect(line.answers).toEqual([{ recipient: 'mailto:alice@example.com', code: 75, reason: expect.stringContaining('onward delivery failed') }]);
  });
});
