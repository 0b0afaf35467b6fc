// Postfix with the shipped configuration (mta-configs/postfix), Dovecot behind
// it, and the agent between them. The journeys shared with Exim are in
// mta-suite.ts; here is how Postfix is driven, what its log says, and what
// only Postfix is checked for. See postfix.ts for how Postfix is set up, and
// sandbox.ts for the Debian root and network namespace it runs in.

import { expect, inject, it } from 'vitest';
import { startServe } from './agent.js';
import { waitFor } from './host.js';
import { sendMail } from './mail.js';
import { defineMtaSuite, escapeRegExp, invitationFrom, logShows, replyFrom } from './mta-suite.js';
import { startPostfix, type Postfix } from './postfix.js';
import { shippedPostfix } from './shipped.js';

defineMtaSuite<Postfix>({
  name: 'Postfix',
  idPrefix: 'pf',
  pipeVariant: 'mta-configs/postfix',
  lmtpVariant: 'itip_transport.lmtp and itip-agent serve',
  nullSenderPipe: 'MAILER-DAEMON on the pipe\'s command line',
  removesAllAuthResults: false,
  root: () => inject('postfixRoot'),
  start: startPostfix,
  // Local users send through the submission smtpd, which has itip-cleanup add the copy for the agent.
  submit: (postfix, from, to, raw) => sendMail(postfix.submission, from, to, raw),
  patterns: {
    delivered: /to=<alice@example\.com>, relay=itip, .*status=sent/,
    outgoingCopied: /to=<itip-outgoing@itip\.invalid>, relay=itip-outgoing, .*status=sent/,
    deferred: /to=<bob@example\.com>, relay=itip, .*status=deferred/,
    resourceDelivered: /to=<room-1@example\.com>, relay=itip-resource, .*status=sent/,
    lmtpDelivered: (serveAddress) => new RegExp(`to=<bob@example\\.com>, relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:${serveAddress.split(':')[1]}, .*status=sent`),
  },
  async expectNoOutgoingCopy({ mta: postfix }, messageId) {
    // The queue file has alice as its only recipient: no copy for itip-outgoing was added.
    const queueId = new RegExp(`(\\w+): message-id=<${escapeRegExp(messageId)}>`).exec(postfix.log())?.[1];
    expect(queueId).toBeDefined();
    expect(postfix.log()).toMatch(new RegExp(`${queueId}: from=<carol@example\\.com>, size=\\d+, nrcpt=1 `));
  },
  // The same Postfix, with the shipped LMTP transport map pointing at serve.
  async startLmtp({ mta: postfix }, serveAddress) {
    postfix.setTransport(shippedPostfix('itip_transport.lmtp', { serveLmtp: serveAddress }));
    return postfix;
  },
  lmtpTests(suite, lmtp) {
    it('keeps the mail queued while serve is down, and delivers it once serve is back', async () => {
      const address = lmtp.serve.address;
      await lmtp.serve.stop();
      const id = suite.id('lmtp-down@external.test');
      await sendMail(lmtp.mta.smtp, 'boss@external.test', ['bob@example.com'], invitationFrom({ uid: id, messageId: id, to: 'bob@example.com' }));
      await logShows(lmtp.mta, /to=<bob@example\.com>, relay=none, .*status=deferred/);
      expect(lmtp.mta.queue()).toContain('bob@example.com');

      lmtp.serve = await startServe(suite.box, suite.store, `lmtp:${suite.dovecot.socket}`, address);
      lmtp.mta.flush();
      await waitFor('the mail in bob\'s maildir', () => suite.arrivedIn('bob@example.com', id), lmtp.context);
      expect(suite.objects('bob@example.com').map((o) => o.uid)).toContain(id);
    });

    it('still copies sent mail to the agent (itip-outgoing pipe)', async () => {
      const messageId = suite.id('lmtp-reply-bob@example.com');
      const reply = replyFrom('bob@example.com', suite.id('lmtp@external.test'), messageId, 'TENTATIVE');
      await sendMail(lmtp.mta.submission, 'bob@example.com', ['boss@external.test'], reply);
      const logs = () => suite.logs(lmtp.mta);
      await waitFor('the reply at the external sink', () => suite.sink.mails.find((m) => m.raw.includes(messageId)), logs);
      const partstat = () => suite.objects('bob@example.com').find((o) => o.uid === suite.id('lmtp@external.test'))?.attendees.find((a) => a.address === 'mailto:bob@example.com')?.partstat;
      await waitFor('bob\'s own PARTSTAT in his store', () => partstat() === 'TENTATIVE', () => `${logs()}\npartstat: ${partstat()}`);
    });
  },
});
