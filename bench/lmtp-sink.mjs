// The LMTP floor: smtp-server configured as the agent's listener is, taking
// every message and answering 250 per recipient, doing nothing else. Prints
// its port on stdout.
import { SMTPServer } from 'smtp-server';

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
      Buffer.concat(chunks);
      callback(null, session.envelope.rcptTo.map(() => 'OK: delivered'));
    });
  },
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.server.address().port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
