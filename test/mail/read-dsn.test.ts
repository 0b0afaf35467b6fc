// Reading delivery status notifications (RFC 3464) in the form Postfix's
// bounce(8) and Exim write them: the per-recipient fields and the Message-ID
// of the returned message, whatever form it is returned in. The reports here
// (test/fixtures/scenarios/bounce) were written by hand in those formats;
// read-dsn-captured.test.ts reads DSNs the real MTAs wrote.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isDeliveryReportType } from '../../src/mail/read-dsn.js';
import { readMail } from '../../src/mail/read-mail.js';

const BOUNCE = join(import.meta.dirname, '..', 'fixtures', 'scenarios', 'bounce');
const read = (path: string) => readMail(readFileSync(join(BOUNCE, path)));

describe('delivery status notifications', () => {
  it('reads a Postfix bounce: Final-Recipient, Original-Recipient, Action, Status, Diagnostic-Code and the returned Message-ID', async () => {
    const mail = await read('postfix-user-unknown/02-postfix-bounce.eml');
    // The invitation inside the returned message is not this mail's calendar.
    expect(mail.calendars).toEqual([]);
    expect(mail.report).toEqual({
      reportingMta: 'mail.example.com',
      originalMessageIds: ['invite-1@example.com'],
      recipients: [
        {
          finalRecipient: 'mailto:bob@example.org',
          originalRecipient: 'mailto:bob@example.org',
          action: 'failed',
          status: '5.1.1',
          diagnostic: 'smtp; 550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown in virtual mailbox table',
        },
      ],
    });
  });

  it('reads an Exim bounce, whose per-message fields end with a blank line before Action', async () => {
    const mail = await read('exim-user-unknown/02-exim-bounce.eml');
    expect(mail.report?.reportingMta).toBe('mail.example.com');
    expect(mail.report?.originalMessageIds).toEqual(['invite-1@example.com']);
    expect(mail.report?.recipients).toEqual([
      expect.objectContaining({ finalRecipient: 'mailto:bob@example.org', action: 'failed', status: '5.0.0' }),
    ]);
  });

  it('reads the Message-ID from a returned header alone (text/rfc822-headers) and a delayed report', async () => {
    const returnedHeader = await read('postfix-message-too-big/02-postfix-bounce.eml');
    expect(returnedHeader.report?.originalMessageIds).toEqual(['invite-1@example.com']);
    expect(returnedHeader.report?.recipients[0]).toMatchObject({ action: 'failed', status: '5.3.4' });
    const delayed = await read('postfix-delayed/02-postfix-delay.eml');
    expect(delayed.report?.recipients[0]).toMatchObject({ action: 'delayed', status: '4.4.1' });
  });

  it('takes only multipart/report with report-type delivery-status as a report', async () => {
    expect(isDeliveryReportType('multipart/report; report-type=delivery-status; boundary="x"')).toBe(true);
    expect(isDeliveryReportType('Multipart/Report; Report-Type="Delivery-Status"; boundary=x')).toBe(true);
    expect(isDeliveryReportType('multipart/report; report-type=disposition-notification; boundary=x')).toBe(false);
    expect(isDeliveryReportType('multipart/mixed; boundary=x')).toBe(false);
    // A report without any readable recipient line is no report.
    const empty = Buffer.from(
      'From: MAILER-DAEMON@example.com\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; example.com\r\n\r\n--b--\r\n',
    );
    expect((await readMail(empty)).report).toBeUndefined();
  });
});
