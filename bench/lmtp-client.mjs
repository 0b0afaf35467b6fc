// A small pooled LMTP client (RFC 2033) for the benchmarks: a few connections,
// each opened once (LHLO) and kept, each sending one transaction at a time.
// The same client drives the agent and the sink, so the ratio compares servers.

import { connect } from 'node:net';

class Connection {
  constructor(socket) {
    this.socket = socket;
    this.buffer = '';
    this.waiting = [];
    this.lines = [];
    socket.setEncoding('latin1');
    socket.on('data', (text) => {
      this.buffer += text;
      let end;
      while ((end = this.buffer.indexOf('\r\n')) >= 0) {
        this.lines.push(this.buffer.slice(0, end));
        this.buffer = this.buffer.slice(end + 2);
      }
      this.pump();
    });
    socket.on('error', (error) => {
      this.error = error;
      this.pump();
    });
  }

  pump() {
    while (this.waiting.length > 0) {
      if (this.error) {
        this.waiting.shift().reject(this.error);
        continue;
      }
      // A reply is complete at a line whose fourth character is a space.
      const last = this.lines.findIndex((line) => line[3] !== '-');
      if (last < 0) return;
      const reply = this.lines.splice(0, last + 1);
      this.waiting.shift().resolve({ code: Number(reply[last].slice(0, 3)), text: reply.join('\n') });
    }
  }

  reply() {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.pump();
    });
  }

  async command(line, expect) {
    this.socket.write(line + '\r\n');
    const reply = await this.reply();
    if (Math.floor(reply.code / 100) !== expect) throw new Error(`${line.split(' ')[0]}: ${reply.text}`);
    return reply;
  }

  async send(sender, recipients, raw) {
    await this.command(`MAIL FROM:<${sender ?? ''}>`, 2);
    for (const rcpt of recipients) await this.command(`RCPT TO:<${rcpt}>`, 2);
    await this.command('DATA', 3);
    // CRLF line ends and dot-stuffing, then the end marker.
    const text = raw.toString('latin1').replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
    this.socket.write(text.endsWith('\r\n') ? `${text}.\r\n` : `${text}\r\n.\r\n`, 'latin1');
    // LMTP: one reply per recipient.
    for (const rcpt of recipients) {
      const reply = await this.reply();
      if (reply.code !== 250) throw new Error(`${rcpt}: ${reply.text}`);
    }
  }

  close() {
    this.socket.end('QUIT\r\n');
  }
}

async function open(port, host) {
  const socket = connect(port, host);
  socket.setNoDelay(true);
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const connection = new Connection(socket);
  const greeting = await connection.reply();
  if (greeting.code !== 220) throw new Error(`greeting: ${greeting.text}`);
  await connection.command('LHLO bench.example', 2);
  return connection;
}

/** Opens `size` connections; `run(mails)` sends them all and resolves with the elapsed ms. */
export async function lmtpPool(port, host = '127.0.0.1', size = 4) {
  const connections = await Promise.all(Array.from({ length: size }, () => open(port, host)));
  return {
    async run(mails) {
      let next = 0;
      const start = process.hrtime.bigint();
      await Promise.all(
        connections.map(async (connection) => {
          while (next < mails.length) {
            const mail = mails[next++];
            await connection.send(mail.sender, mail.recipients ?? [mail.recipient], mail.raw);
          }
        }),
      );
      return Number(process.hrtime.bigint() - start) / 1e6;
    },
    close() {
      for (const connection of connections) connection.close();
    },
  };
}
