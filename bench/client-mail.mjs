// The MIME shape each client gives an invitation (RFC 6047 iMIP), after the
// real messages in test/fixtures/mail/:
// - Outlook / Exchange: multipart/mixed > multipart/alternative (text/plain,
//   text/html, text/calendar, all base64) + invite.ics (application/ics, base64);
//   a REPLY is multipart/alternative with quoted-printable text parts.
// - Outlook desktop over SMTP: multipart/alternative (text/plain 7bit, text/html
//   quoted-printable, text/calendar base64).
// - Google: multipart/mixed > multipart/alternative (text/plain base64, text/html
//   quoted-printable, text/calendar "7bit" that carries raw UTF-8) + invite.ics
//   (application/ics, base64); sent by calendar-notification@google.com.
// - Apple Mail: multipart/mixed > empty text/plain + text/calendar attachment
//   (quoted-printable).
// - Thunderbird: multipart/mixed > multipart/alternative (text/plain, text/calendar,
//   8bit) + invite.ics (application/ics, 8bit).

const CRLF = '\r\n';

export const base64 = (text) => Buffer.from(text, 'utf8').toString('base64').replace(/.{76}/g, `$&${CRLF}`).replace(/\r\n$/, '');

/** Quoted-printable (RFC 2045 section 6.7) of UTF-8 text with CRLF line ends. */
export function quotedPrintable(text) {
  return text
    .split(/\r?\n/)
    .map((line) => {
      let out = '';
      let width = 0;
      for (const byte of Buffer.from(line, 'utf8')) {
        const plain = (byte >= 33 && byte <= 126 && byte !== 61) || (byte === 32 && width < 70);
        const piece = plain ? String.fromCharCode(byte) : `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
        if (width + piece.length > 75) {
          out += `=${CRLF}`;
          width = 0;
        }
        out += piece;
        width += piece.length;
      }
      return out.endsWith(' ') ? `${out.slice(0, -1)}=20` : out;
    })
    .join(CRLF);
}

function part(headers, body) {
  return [...headers, '', body].join(CRLF);
}

function multipart(boundary, parts, preamble) {
  return [...(preamble ? [preamble, ''] : []), ...parts.map((p) => `--${boundary}${CRLF}${p}`), `--${boundary}--`, ''].join(CRLF);
}

const address = (p) => (p.name && p.name !== p.email ? `${p.name} <${p.email}>` : p.email);
const addressQuoted = (p) => `"${p.name}" <${p.email}>`;

/** Authentication-Results the receiving MX wrote (RFC 8601), as in every fixture. */
function authResults(from, selector) {
  const domain = from.email.split('@')[1];
  return [
    'Authentication-Results: mx.example.com;',
    `\tdkim=pass (2048-bit key) header.d=${domain} header.s=${selector} header.b=Lw2cR8sT;`,
    `\tspf=pass smtp.mailfrom=${from.email};`,
    `\tdmarc=pass (p=quarantine) header.from=${domain}`,
  ];
}

/**
 * One mail. `m` is {client, variant, method, from, to: [people], subject, date
 * (RFC 5322 text), messageId, ids (hex for boundaries), ics, plain, html}.
 * Returns the mail text (CRLF) and the envelope sender.
 */
export function renderMail(m) {
  return SHAPES[m.client](m);
}

function outlookMail(m) {
  const { ics, ids } = m;
  const to = m.to.map(address).join(', ');
  const calendar = part([`Content-Type: text/calendar; charset="utf-8"; method=${m.method}`, 'Content-Transfer-Encoding: base64'], base64(ics));
  if (m.variant !== 'exchange') {
    const boundary = `----=_NextPart_000_${ids.slice(0, 4)}_${ids.slice(4, 12)}.${ids.slice(12, 20)}`.toUpperCase();
    const body = multipart(
      boundary,
      [
        part(['Content-Type: text/plain;', '\tcharset="us-ascii"', 'Content-Transfer-Encoding: 7bit'], m.plain.replace(/[^\x20-\x7e\r\n]/g, '?')),
        part(['Content-Type: text/html;', '\tcharset="us-ascii"', 'Content-Transfer-Encoding: quoted-printable'], quotedPrintable(m.html.replace(/[^\x20-\x7e\r\n]/g, '?'))),
        part([`Content-Type: text/calendar;`, `\tmethod=${m.method};`, '\tcharset="utf-8"', 'Content-Transfer-Encoding: base64'], base64(ics)),
      ],
      'This is a multipart message in MIME format.',
    );
    return {
      sender: m.from.email,
      text: [
        ...authResults(m.from, 'selector1'),
        `From: ${addressQuoted(m.from)}`, `To: ${m.to.map(addressQuoted).join(', ')}`, `Subject: ${m.subject}`, `Date: ${m.date}`,
        `Message-ID: <000001${ids.slice(0, 6)}$${ids.slice(6, 14)}$${ids.slice(14, 22)}$@${m.from.email.split('@')[1]}>`,
        'MIME-Version: 1.0', 'Content-Type: multipart/alternative;', `\tboundary="${boundary}"`, 'X-Mailer: Microsoft Outlook 16.0',
        `Thread-Index: ${Buffer.from(ids.slice(0, 22), 'hex').toString('base64')}`, 'Content-Language: en-us', '', body,
      ].join(CRLF),
    };
  }
  const server = `AM0PR07MB${ids.slice(0, 4).toUpperCase()}`;
  const tag = `${server}${ids.slice(4, 36).toUpperCase()}`;
  const reply = m.method === 'REPLY';
  const encoding = reply ? 'quoted-printable' : 'base64';
  const encode = reply ? quotedPrintable : base64;
  const alternative = multipart(`_000_${tag}eurp_`, [
    part(['Content-Type: text/plain; charset="utf-8"', `Content-Transfer-Encoding: ${encoding}`], encode(m.plain)),
    part(['Content-Type: text/html; charset="utf-8"', `Content-Transfer-Encoding: ${encoding}`], encode(m.html)),
    calendar,
  ]);
  const headers = [
    `Received: from ${server}.eurprd07.prod.outlook.com (2603:10a6:208:15a::14)`,
    ` by ${server}.eurprd07.prod.outlook.com with HTTPS; ${m.date}`,
    ...authResults(m.from, 'selector2'),
    `From: ${address(m.from)}`, `To: ${to}`, `Subject: ${m.subject}`, `Thread-Topic: ${m.topic}`,
    `Thread-Index: ${Buffer.from(ids.slice(0, 22), 'hex').toString('base64')}`, `Date: ${m.date}`,
    'Message-ID:', ` <${tag}@${server}.eurprd07.prod.outlook.com>`,
    'Accept-Language: en-US, de-DE', 'Content-Language: en-US', `X-MS-Has-Attach: ${reply ? '' : 'yes'}`,
    'X-MS-Exchange-Organization-SCL: -1', 'X-MS-TNEF-Correlator:', 'x-ms-exchange-calendar-series-instance-id:',
    ` ${Buffer.from(ids, 'hex').toString('base64')}`, 'x-ms-publictraffictype: Email',
  ];
  if (reply) {
    return { sender: m.from.email, text: [...headers, 'Content-Type: multipart/alternative;', `\tboundary="_000_${tag}eurp_"`, 'MIME-Version: 1.0', '', alternative].join(CRLF) };
  }
  const size = Buffer.byteLength(ics);
  const mixed = multipart(`_004_${tag}eurp_`, [
    part(['Content-Type: multipart/alternative;', `\tboundary="_000_${tag}eurp_"`], alternative),
    part(
      [
        'Content-Type: application/ics; name="invite.ics"', 'Content-Description: invite.ics',
        `Content-Disposition: attachment; filename="invite.ics"; size=${size};`, `\tcreation-date="${m.date}";`, `\tmodification-date="${m.date}"`,
        'Content-Transfer-Encoding: base64',
      ],
      base64(ics),
    ),
  ]);
  return { sender: m.from.email, text: [...headers, 'Content-Type: multipart/mixed;', `\tboundary="_004_${tag}eurp_"`, 'MIME-Version: 1.0', '', mixed].join(CRLF) };
}

function googleMail(m) {
  const { ids } = m;
  const bounce = `${Buffer.from(ids.slice(0, 30), 'hex').toString('base64').replace(/[+/=]/g, 'x')}@calendar-server.bounces.google.com`;
  const outer = `0000000000${ids.slice(0, 18)}`;
  const inner = `0000000000${ids.slice(0, 16)}f0`;
  const alternative = multipart(inner, [
    part(['Content-Type: text/plain; charset="UTF-8"; format=flowed; delsp=yes', 'Content-Transfer-Encoding: base64'], base64(m.plain)),
    part(['Content-Type: text/html; charset="UTF-8"', 'Content-Transfer-Encoding: quoted-printable'], quotedPrintable(m.html)),
    part([`Content-Type: text/calendar; charset="UTF-8"; method=${m.method}`, 'Content-Transfer-Encoding: 7bit'], m.ics),
  ]);
  const mixed = multipart(outer, [
    part([`Content-Type: multipart/alternative; boundary="${inner}"`], alternative),
    part(['Content-Type: application/ics; name="invite.ics"', 'Content-Disposition: attachment; filename="invite.ics"', 'Content-Transfer-Encoding: base64'], base64(m.ics)),
  ]);
  return {
    sender: bounce,
    text: [
      `Return-Path: <${bounce}>`,
      'Authentication-Results: mx.example.com;',
      `       dkim=pass header.i=@${m.from.email.split('@')[1]} header.s=20230601 header.b=Yx1Kd2Jw;`,
      '       dkim=pass header.i=@google.com header.s=20230601 header.b=Pq7s0mTn;',
      `       spf=pass (mx.example.com: domain of ${bounce} designates 209.85.220.73 as permitted sender) smtp.mailfrom=${bounce};`,
      `       dmarc=pass (p=NONE sp=QUARANTINE dis=NONE) header.from=${m.from.email.split('@')[1]}`,
      'MIME-Version: 1.0', `Reply-To: ${m.from.email}`, 'Sender: Google Calendar <calendar-notification@google.com>', 'Auto-Submitted: auto-generated',
      `Message-ID: <calendar-${ids.slice(0, 8)}-${ids.slice(8, 12)}-${ids.slice(12, 16)}-${ids.slice(16, 20)}-${ids.slice(20, 32)}@google.com>`,
      `Date: ${m.date}`, `Subject: ${m.subject}`, `From: ${address(m.from)}`, `To: ${m.to.map((p) => p.email).join(', ')}`,
      `Content-Type: multipart/mixed; boundary="${outer}"`, '', mixed,
    ].join(CRLF),
  };
}

function appleMail(m) {
  const { ids } = m;
  const uuid = (h) => `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`.toUpperCase();
  const boundary = `Apple-Mail=_${uuid(ids)}`;
  const file = `iCal-${m.stampText}.ics`;
  const body = multipart(boundary, [
    part(['Content-Transfer-Encoding: 7bit', 'Content-Type: text/plain;', '\tcharset=us-ascii'], `${CRLF}`),
    part(
      ['Content-Disposition: attachment;', `\tfilename=${file}`, 'Content-Type: text/calendar;', '\tx-unix-mode=0644;', `\tname="${file}";`, `\tmethod=${m.method};`, '\tcharset=utf-8', 'Content-Transfer-Encoding: quoted-printable'],
      quotedPrintable(m.ics),
    ),
  ]);
  return {
    sender: m.from.email,
    text: [
      ...authResults(m.from, 'mac'),
      `From: ${address(m.from)}`, 'Content-Type: multipart/mixed;', `\tboundary="${boundary}"`, 'Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3826.200.121\\))',
      `Subject: ${m.subject}`, `Message-Id: <${uuid(ids.slice(32) + ids)}@${m.from.email.split('@')[1]}>`, `Date: ${m.date}`,
      `To: ${m.to.map((p) => p.email).join(', ')}`, 'X-Mailer: Apple Mail (2.3826.200.121)', '', body,
    ].join(CRLF),
  };
}

function thunderbirdMail(m) {
  const { ids } = m;
  const outer = `Boundary_(ID_${Buffer.from(ids.slice(0, 16), 'hex').toString('base64').slice(0, 22)})`;
  const inner = `Boundary_(ID_${Buffer.from(ids.slice(16, 32), 'hex').toString('base64').slice(0, 22)})`;
  const alternative = multipart(inner, [
    part(['Content-type: text/plain; charset=UTF-8', 'Content-transfer-encoding: 8BIT'], m.plain),
    part([`Content-type: text/calendar; method=${m.method}; charset=UTF-8`, 'Content-transfer-encoding: 8BIT'], m.ics),
  ]);
  const mixed = multipart(outer, [
    part(['Content-type: multipart/alternative;', ` boundary="${inner}"`], `${CRLF}${alternative}`),
    part(['Content-type: application/ics; name=invite.ics', 'Content-transfer-encoding: 8BIT', 'Content-disposition: attachment; filename=invite.ics'], m.ics),
  ]);
  return {
    sender: m.from.email,
    text: [
      ...authResults(m.from, 'mail'),
      `Message-ID: <${ids.slice(0, 8)}-${ids.slice(8, 12)}-${ids.slice(12, 16)}-${ids.slice(16, 20)}-${ids.slice(20, 32)}@${m.from.email.split('@')[1]}>`,
      `Date: ${m.date}`, 'MIME-version: 1.0', 'User-Agent: Mozilla Thunderbird', 'Content-Language: de-DE',
      `From: ${address(m.from)}`, `To: ${m.to.map(address).join(', ')}`, `Subject: ${m.subject}`,
      `Content-type: multipart/mixed; boundary="${outer}"`, '', '', mixed,
    ].join(CRLF),
  };
}

const SHAPES = { outlook: outlookMail, google: googleMail, apple: appleMail, thunderbird: thunderbirdMail };
