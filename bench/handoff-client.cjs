'use strict';
// `node bench/handoff-client.cjs SOCKET SENDER RECIPIENT < mail`: the least a
// `process` that hands its mail to a running `serve --lmtp /path/socket` would
// do, for bench/snapshot-trial.mjs: read stdin, one LMTP transaction (RFC 2033)
// over the local socket, exit with the answer (0 on 250, 75 on 4xx, 67 on 5xx).
// It loads nothing but node:net, so its cost is Node's start plus the service's
// time for the mail. A measurement of the design, not a client to deploy: it
// keeps no log and knows none of `process`'s options.

const { connect } = require('node:net');

const [socketPath, sender, recipient] = process.argv.slice(2);
const chunks = [];
process.stdin.on('data', (chunk) => chunks.push(chunk));
process.stdin.on('end', () => {
  // Dot-stuffing (RFC 5321, 4.5.2) and CRLF line ends, then the end-of-data line.
  const text = Buffer.concat(chunks).toString('latin1').replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
  const data = Buffer.from(`${text.endsWith('\r\n') ? text : `${text}\r\n`}.\r\n`, 'latin1');
  const steps = [`LHLO localhost\r\n`, `MAIL FROM:<${sender}>\r\n`, `RCPT TO:<${recipient}>\r\n`, 'DATA\r\n', data];
  const socket = connect(socketPath);
  let buffered = '';
  let step = -1; // the greeting comes first
  let answer; // the exit code, once known
  const finish = (code) => {
    answer = code;
    process.exitCode = code;
  };
  socket.on('data', (chunk) => {
    if (answer !== undefined) return; // what follows QUIT changes nothing
    buffered += chunk.toString('latin1');
    let end;
    while ((end = buffered.indexOf('\r\n')) >= 0) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      if (line[3] === '-') continue; // a multi-line reply goes on
      const code = Number(line.slice(0, 3));
      if (step === 4) {
        // The answer for the one recipient after the data: the mail's fate.
        finish(code < 300 ? 0 : code < 500 ? 75 : 67);
        socket.end('QUIT\r\n');
        return;
      }
      if (code >= 400) {
        finish(code < 500 ? 75 : 67);
        socket.destroy();
        return;
      }
      step += 1;
      socket.write(steps[step]);
    }
  });
  socket.on('error', () => {
    // No answer yet: the mail is not taken (an MTA tries again).
    if (answer === undefined) finish(75);
  });
  socket.on('close', () => {
    if (answer === undefined) finish(75);
  });
});
