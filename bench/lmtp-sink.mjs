// The LMTP floor: smtp-server configured as the agent's listener is, taking
// every message and answering 250 per recipient, doing nothing else. Prints
// its port on stdout.
//
// Two references, neither a target:
// - --parse also reads each message as the in-process floor does (mailparser,
//   then ical.js for each text/calendar part) before answering: the rate no
//   agent that reads its mail can pass here;
// - --commit makes one durable LMDB commit per message before answering (a
//   small record, commits of concurrent connections grouped as the agent's
//   are): the rate no agent that answers 250 only after a durable commit can
//   pass with this many connections.
import ICAL from 'ical.js';
import { open } from 'lmdb';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

const parse = process.argv.includes('--parse');
const commit = process.argv.includes('--commit');

async function read(raw) {
  const parsed = await simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true });
  for (const attachment of parsed.attachments) {
    if (attachment.contentType === 'text/calendar') ICAL.parse(attachment.content.toString('utf8'));
  }
}

let storeDir;
let store;
let marks;
if (commit) {
  storeDir = mkdtempSync(join(tmpdir(), 'itip-bench-sink-'));
  // The agent's durability settings: each commit is synced before its promise settles.
  store = open({ path: storeDir, overlappingSync: false });
  marks = store.openDB('marks', { encoding: 'json' });
}
let received = 0;
const durable = (session) => {
  const key = `${session.id}-${received++}`;
  return store.childTransaction(() => marks.putSync(key, true));
};

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
      else if (commit) durable(session).then(answer, callback);
      else answer();
    });
  },
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.server.address().port}\n`));
process.on('SIGTERM', () =>
  server.close(async () => {
    if (store) {
      await store.close();
      rmSync(storeDir, { recursive: true, force: true });
    }
    process.exit(0);
  }),
);
