// The notices of waiting requests (notify_requests, src/agent/request-notice.ts)
// as the settings make them: who they come from (notify.from) and the signed
// answer links in them (http.publicUrl, http.linkSecretFile). Given to the agent
// by the commands that process mail (process, serve); `replay` gives none, so
// that replaying old mail sends no one notices of invitations long past.

import type { RequestNotices } from '../agent/request-notice.js';
import { noticeLinks } from '../http/signed-links.js';
import type { Settings } from './config.js';
import { logger } from './log.js';

export function requestNotices(settings: Settings): RequestNotices {
  const links = settings.web.linkSecretFile ? noticeLinks({ secretFile: settings.web.linkSecretFile, publicUrl: settings.web.publicUrl }) : undefined;
  return {
    ...(settings.noticeFrom ? { from: settings.noticeFrom } : {}),
    ...(links ? { links } : {}),
    log: (level, msg, fields) => logger[level](msg, fields),
  };
}
