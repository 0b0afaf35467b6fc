// readMail: the facts it reads from a header, broken input it survives, and the
// canonical calendar text it compares copies by.

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalCalendarText, readMail } from '../../src/mail/read-mail.js';
import { CRLF, HEAD, base64, calendar, message, mixed } from './mail-builders.js';

describe('readMail: facts', () => {
  it('normalises addresses, decodes the subject and reads the date as UTC', async () => {
    const raw = message(
      'Authentication-Results: mx.example.com;',
      ' dkim=pass header.d=example.com;',
      ' dmarc=pass header.from=example.com',
      'Received: from somewhere',
      'Authentication-Results: relay.example.org; spf=fail smtp.mailfrom=example.com',
      'From: "Der Chef" <Boss@Example.COM>',
      'Sender: Secretary <SECRETARY@example.com>',
      'Reply-To: <Replies@Example.com>',
      'To: Alice <Alice@Example.com>, Team: bob@EXAMPLE.org, carol@example.org;',
      'Cc: dave@example.net',
      'Subject: =?iso-8859-1?Q?Besprechung_=FCber_=D6l?=',
      'Date: Tue, 1 Dec 2026 10:00:00 +0100 (CET)',
      'Message-ID: <Abc.123@Example.com>',
      'Content-Type: text/plain',
      '',
      'Hello',
    );
    const { facts, calendars, warnings } = await readMail(raw);
    expect(calendars).toEqual([]);
    expect(warnings).toEqual([]);
    expect(facts).toEqual({
      messageId: 'Abc.123@Example.com',
      digest: createHash('sha256').update(raw).digest('hex'),
      from: 'mailto:boss@example.com',
      sender: 'mailto:secretary@example.com',
      replyTo: 'mailto:replies@example.com',
      to: ['mailto:alice@example.com', 'mailto:bob@example.org', 'mailto:carol@example.org'],
      cc: ['mailto:dave@example.net'],
      subject: 'Besprechung über Öl',
      date: '2026-12-01T09:00:00Z',
      authenticationResults: [
        'mx.example.com; dkim=pass header.d=example.com; dmarc=pass header.from=example.com',
        'relay.example.org; spf=fail smtp.mailfrom=example.com',
      ],
    });
  });

  it('takes an encoded word in an address only when it decodes to a plain address; reads punycode as Unicode', async () => {
    const raw = message(
      'From: =?utf-8?Q?boss?=@example.com',
      'Sender: =?utf-8?B?PGV2aWxAZXhhbXBsZS5vcmc+?=@example.com',
      'To: Alice <alice@xn--mnchen-3ya.example>, "=?utf-8?B?PGV2aWxAZXhhbXBsZS5vcmc+?=" <bob@example.org>',
      'Message-ID: <encoded@example.com>',
      'Content-Type: text/plain',
      '',
      'Hello',
    );
    const { facts } = await readMail(raw);
    expect(facts.from).toBe('mailto:boss@example.com');
    // Decoded, the sender is "<evil@example.org>@example.com": no address at all.
    expect(facts.sender).toBeUndefined();
    // A display name is never an address, whatever it decodes to.
    expect(facts.to).toEqual(['mailto:alice@münchen.example', 'mailto:bob@example.org']);
  });

  it('uses sha256:<digest> when there is no Message-ID', async () => {
    const raw = message('From: a@example.com', 'Subject: x', '', 'body');
    const { facts } = await readMail(raw);
    const digest = createHash('sha256').update(raw).digest('hex');
    expect(facts.messageId).toBe(`sha256:${digest}`);
    expect(facts.digest).toBe(digest);
    expect(facts.to).toEqual([]);
    expect(facts.cc).toEqual([]);
    expect(facts.authenticationResults).toEqual([]);
  });

  it('leaves out a date it cannot read rather than inventing one', async () => {
    const { facts } = await readMail(message('From: a@example.com', 'Date: someday soon', '', 'body'));
    expect(facts.date).toBeUndefined();
  });
});

describe('readMail: broken input', () => {
  const broken: { name: string; raw: Buffer; calendars: number }[] = [
    { name: 'empty buffer', raw: Buffer.alloc(0), calendars: 0 },
    { name: 'header only, no body', raw: Buffer.from('From: a@example.com\r\nSubject: x'), calendars: 0 },
    { name: 'binary noise', raw: Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)), calendars: 0 },
    {
      name: 'multipart without boundary parameter',
      raw: message(HEAD, 'Content-Type: multipart/mixed', '', '--x', 'Content-Type: text/calendar', '', calendar('A')),
      calendars: 0,
    },
    {
      name: 'missing closing boundary',
      raw: message(
        HEAD,
        'Content-Type: multipart/mixed; boundary=mix',
        '',
        '--mix',
        'Content-Type: text/calendar; method=REQUEST',
        '',
        calendar('Unterminated'),
      ),
      calendars: 1,
    },
    {
      name: 'corrupt base64',
      raw: message(
        HEAD,
        'Content-Type: text/calendar; method=REQUEST',
        'Content-Transfer-Encoding: base64',
        '',
        '!!!not base64 at all***',
      ),
      calendars: 1,
    },
    {
      name: 'truncated in the middle of a base64 calendar',
      raw: message(
        HEAD,
        'Content-Type: multipart/mixed; boundary=mix',
        '',
        '--mix',
        'Content-Type: text/calendar; method=REQUEST',
        'Content-Transfer-Encoding: base64',
        '',
        base64(calendar('Cut')).slice(0, 120),
      ),
      calendars: 1,
    },
    {
      name: 'more parts than the parser allows',
      raw: message(
        HEAD,
        'Content-Type: multipart/mixed; boundary=x',
        '',
        ...Array.from({ length: 3000 }, () => `--x${CRLF}Content-Type: text/plain${CRLF}${CRLF}t`),
        '--x--',
      ),
      calendars: 0,
    },
  ];

  it.each(broken)('$name does not throw', async ({ raw, calendars }) => {
    const mail = await readMail(raw);
    expect(mail.calendars).toHaveLength(calendars);
    expect(mail.facts.digest).toBe(createHash('sha256').update(raw).digest('hex'));
    expect(mail.facts.messageId).toMatch(/.+/);
  });

  it('a header too long for the parser still yields the facts it can', async () => {
    const raw = message(
      `X-Long: ${'a'.repeat(2 * 1024 * 1024)}`,
      'Message-ID: <long@example.com>',
      'From: Boss <Boss@Example.com>',
      'To: alice@example.com, Team: bob@example.org;',
      'Subject: Long',
      '',
      'body',
    );
    const mail = await readMail(raw);
    expect(mail.calendars).toEqual([]);
    expect(mail.warnings).toEqual([expect.stringMatching(/could not be read completely/)]);
    expect(mail.facts).toMatchObject({
      messageId: 'long@example.com',
      from: 'mailto:boss@example.com',
      to: ['mailto:alice@example.com', 'mailto:bob@example.org'],
      subject: 'Long',
    });
  });

  it('throws only for input that is not a Buffer', async () => {
    await expect(readMail('From: a@example.com' as unknown as Buffer)).rejects.toThrow(TypeError);
  });
});

describe('canonicalCalendarText', () => {
  it('makes line endings, folding and trailing white space the same', () => {
    const a = 'BEGIN:VCALENDAR\r\nSUMMARY:one two\r\nEND:VCALENDAR\r\n';
    const b = '\uFEFFBEGIN:VCALENDAR\nSUMMARY:one\n  two  \n\nEND:VCALENDAR';
    expect(canonicalCalendarText(a)).toBe(canonicalCalendarText(b));
  });
});
