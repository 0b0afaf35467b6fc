// Exim with the shipped routers and transports (mta-configs/exim), Dovecot
// behind it, and the agent between them: the journeys shared with Postfix
// (mta-suite.ts), with how Exim is driven and what its log says.
// Exim and Postfix conflict as packages: each has a Debian root of its own
// (roots.ts), and each runs in a sandbox of its own (sandbox.ts).

import { join } from 'node:path';
import { expect, inject } from 'vitest';
import { EXIM_SUBMISSION_AUTH, startExim, type Exim } from './exim.js';
import { sendMail } from './mail.js';
import { defineMtaSuite, escapeRegExp, logShows } from './mta-suite.js';

defineMtaSuite<Exim>({
  name: 'Exim',
  idPrefix: 'ex',
  pipeVariant: 'mta-configs/exim',
  lmtpVariant: 'itip_person_lmtp and itip-agent serve',
  nullSenderPipe: 'an empty SENDER for the pipe',
  removesAllAuthResults: true,
  root: () => inject('eximRoot'),
  start: startExim,
  // One daemon port for both: an authenticated client is a local user, and its mail gets the copy for the agent.
  submit: (exim, from, to, raw) => sendMail(exim.smtp, from, to, raw, EXIM_SUBMISSION_AUTH),
  patterns: {
    delivered: /=> alice <alice@example\.com> R=itip_people T=itip_person/,
    outgoingCopied: /=> boss <boss@external\.test> R=itip_outgoing T=itip_outgoing/,
    deferred: /== bob@example\.com R=itip_people T=itip_person defer/,
    resourceDelivered: /=> room-1 <room-1@example\.com> R=itip_resources T=itip_resource/,
    lmtpDelivered: () => /R=itip_people T=itip_person_lmtp/,
  },
  async expectNoOutgoingCopy({ mta: exim }, messageId) {
    // Once Exim has completed the message, no delivery went through itip_outgoing.
    const id = new RegExp(`(\\S+) <= carol@example\\.com .*id=${escapeRegExp(messageId)}`).exec(exim.log())?.[1];
    expect(id).toBeDefined();
    await logShows(exim, new RegExp(`${id} Completed`));
    expect(exim.log()).not.toMatch(new RegExp(`${id} => .*R=itip_outgoing`));
  },
  // The LMTP router is chosen by the configuration Exim starts with: a second daemon on another port, stopped by the suite.
  startLmtp: ({ box, dir, store, dovecot, sink, config }, serveAddress) =>
    startExim({ box, dir: join(dir, 'exim-lmtp'), store, dovecot, sinkPort: sink.port, serveLmtp: serveAddress, config, smtpPort: 2525 }),
});
