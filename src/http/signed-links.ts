// Signed answer links: a token that opens one waiting request of one calendar
// user without a sign-in, and lets that person answer it (GET and POST
// /answer/TOKEN, signed-links-pages.ts). The agent puts them in the notice
// mail of notify_requests (src/agent/request-notice.ts).
//
// A token is an HMAC-SHA256 (RFC 2104) over what it opens, with a key only
// the agent knows:
//   user . request . version . expiry . mac
// - user: the calendar user's address (base64url), whose request it is;
// - request: a digest of the UID and recurrence id (the waiting entry);
// - version: the entity tag of the stored copy when the link was made
//   (etagOf): answering changes the stored copy (the user's PARTSTAT), and so
//   does an update from the organizer, so a link stops working once the
//   request is answered or changed, and cannot answer a version its holder
//   never saw;
// - expiry: seconds since 1970, base 36; links last LINK_LIFETIME_MS.
// Nothing in the token is secret but the mac; without the key no one can make
// one, or change what one opens. The key is 32 random bytes in a file of the
// store directory (http.linkSecretFile), made on first use with mode 0600 by
// whichever process needs it first (`process` queueing a notice, or `serve`).
// Removing the file makes every link given out so far invalid.
//
// This module is loaded by `itip-agent process` (the notices): node's own
// modules only, nothing of the web listener.

import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { NoticeLinks, RequestNotices } from '../agent/request-notice.js';
import { mailAddress, normalizeAddress } from '../ical/address.js';
import { formatUtcSeconds } from '../ical/times.js';

/** How long an answer link works: two weeks, long enough for a holiday, short enough to forget. */
export const LINK_LIFETIME_MS = 14 * 86_400_000;

const LINK_CONTEXT = 'itip-agent answer link v1\u0000';
const FORM_CONTEXT = 'itip-agent answer form v1\u0000';
const PART = /^[A-Za-z0-9_-]+$/;

export interface LinkClaims {
  /** The calendar user (a lower-case mailto: URI). */
  user: string;
  /** requestKey of the waiting entry. */
  request: string;
  /** The stored copy's entity tag, quoted as etagOf writes it. */
  etag: string;
  /** Epoch ms after which the link no longer works. */
  expires: number;
}

export type LinkCheck = { ok: true; claims: LinkClaims } | { ok: false; why: 'unreadable' | 'forged' | 'expired' };

const b64 = (data: string | Buffer) => Buffer.from(data).toString('base64url');

/** The digest naming one waiting request (UID and recurrence id; null is the whole event). */
export function requestKey(uid: string, recurrenceId: string | null): string {
  return createHash('sha256').update(JSON.stringify([uid, recurrenceId])).digest('base64url').slice(0, 22);
}

/** Reads the secret of http.linkSecretFile, making it on first use (32 random bytes as hex, mode 0600). */
export function readOrMakeLinkSecret(path: string): Buffer {
  const existing = readSecret(path);
  if (existing) return existing;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  // Written whole under another name, then linked into place: a process that
  // reads at the same time sees no file or the whole key, never part of it,
  // and of two processes making it at once the first link wins.
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(temporary, 'wx', 0o600);
  try {
    writeSync(fd, `${randomBytes(32).toString('hex')}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(temporary);
  }
  const made = readSecret(path);
  if (!made) throw new Error(`the link secret ${path} could not be made`);
  return made;
}

function readSecret(path: string): Buffer | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`the link secret ${path} cannot be read: ${(error as Error).message}`);
  }
  const hex = text.trim();
  if (!/^(?:[0-9a-fA-F]{2}){32,}$/.test(hex)) {
    throw new Error(`${path} holds no link secret (64 or more hex digits); remove it and one is made (links given out so far stop working)`);
  }
  return Buffer.from(hex, 'hex');
}

/** Makes and checks tokens with the secret, read when first needed. */
export class AnswerLinks {
  private key: Buffer | undefined;
  constructor(private readonly secret: () => Buffer) {}

  private mac(context: string, text: string): string {
    this.key ??= this.secret();
    return createHmac('sha256', this.key).update(context + text).digest('base64url');
  }

  make(claims: LinkClaims): string {
    const user = normalizeAddress(claims.user);
    const etag = /^"([A-Za-z0-9_-]+)"$/.exec(claims.etag)?.[1];
    if (!user || !etag) throw new Error('an answer link needs a calendar user address and a stored copy\'s entity tag');
    const payload = [b64(mailAddress(user)), claims.request, etag, Math.ceil(claims.expires / 1000).toString(36)].join('.');
    return `${payload}.${this.mac(LINK_CONTEXT, payload)}`;
  }

  /** The claims of a token made with our key that has not expired. */
  check(token: string, now: number): LinkCheck {
    const parts = token.split('.');
    if (token.length > 2000 || parts.length !== 5 || !parts.every((part) => PART.test(part))) return { ok: false, why: 'unreadable' };
    const [user, request, etag, expiry, mac] = parts as [string, string, string, string, string];
    const expected = Buffer.from(this.mac(LINK_CONTEXT, parts.slice(0, 4).join('.')));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, why: 'forged' };
    const address = normalizeAddress(Buffer.from(user, 'base64url').toString('utf8'));
    const expires = parseInt(expiry, 36) * 1000;
    if (!address || !Number.isFinite(expires)) return { ok: false, why: 'unreadable' };
    if (now >= expires) return { ok: false, why: 'expired' };
    return { ok: true, claims: { user: address, request, etag: `"${etag}"`, expires } };
  }

  /** The form token of the answer page: only a page this agent served for the link can post its answer. */
  formToken(token: string): string {
    return this.mac(FORM_CONTEXT, token);
  }

  sameFormToken(token: string, sent: unknown): boolean {
    if (typeof sent !== 'string') return false;
    const expected = Buffer.from(this.formToken(token));
    const given = Buffer.from(sent);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

/** The secret of a file, read (or made) once, when a link is first made or checked. */
export function linksFromFile(path: string): AnswerLinks {
  return new AnswerLinks(() => readOrMakeLinkSecret(path));
}

/** The web address of the answer page of a token; `answer` preselects a button (the GET changes nothing). */
export function answerUrl(publicUrl: string, token: string, answer?: 'accept' | 'tentative' | 'decline'): string {
  return `${publicUrl}/answer/${token}${answer ? `?answer=${answer}` : ''}`;
}

/**
 * The web manager's page of waiting requests, as notices link to it. (The
 * pages live in src/http/pages/; this is where their list of requests is.)
 */
export const REQUESTS_PATH = '/';

/**
 * The links part of the agent's notices (RequestNotices.links): none without
 * a public address of the web manager, since a link must be one the user's
 * mail program can open.
 */
export function noticeLinks(options: { secretFile: string; publicUrl?: string; lifetimeMs?: number }): RequestNotices['links'] {
  const { publicUrl } = options;
  if (!publicUrl) return undefined;
  const links = linksFromFile(options.secretFile);
  return ({ user, uid, recurrenceId, etag, now }): NoticeLinks => {
    const expires = now + (options.lifetimeMs ?? LINK_LIFETIME_MS);
    const token = links.make({ user, request: requestKey(uid, recurrenceId), etag, expires });
    return {
      accept: answerUrl(publicUrl, token, 'accept'),
      tentative: answerUrl(publicUrl, token, 'tentative'),
      decline: answerUrl(publicUrl, token, 'decline'),
      requests: `${publicUrl}${REQUESTS_PATH}`,
      expires: formatUtcSeconds(Math.ceil(expires / 1000) * 1000),
    };
  };
}
