// The LMTP floor: smtp-server configured as the agent's listener is, taking
// every message and answering 250 per recipient, doing nothing else. Prints
// its port on stdout.
//
// With --parse it also reads each message as the in-process floor does
// (mailparser, then ical.js for each text/calendar part) before answering:
// not a target, but the rate no agent that reads its mail can pass here.
import ICAL from 'ical.js';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

const parse = process.argv.includes('--parse');

async function read(raw) {
  const parsed = await simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true });
  for (const attachment of parsed.attachments) {
    if (attachment.contentType === 'text/calendar') ICAL.parse(attachment.content.toString('utf8'));
  }
}

const server = new SMTPServer({
  lmtp: true,
  banner: 'sink',
  disableReverseLookup: true,
  useXForward: true,
  authOptional: true,
  disabledCommands: ['AUTH', 'STARTTLS'],
  hideSTARTTLS: true,
  logger: false,
  onData(stream, session, callback) {
    const chunks = [];
    stream.on('data', (chunk) => chunks.push(chunk));
    stream.on('end', () => {
      const raw = Buffer.concat(chunks);
      const answer = () => callback(null, session.envelope.rcptTo.map(() => 'OK: delivered'));
      if (parse) read(raw).then(answer, callback);
      else answer();
    });
  },
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.server.address().port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
