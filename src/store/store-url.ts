// Where the store is: a PostgreSQL URL (postgres://USER@HOST:PORT/DB, also
// postgresql://) or else the folder of the embedded LMDB store. A URL may carry
// a password; what is shown to people and written to logs never does.

const PG_SCHEMES = /^postgres(?:ql)?:\/\//i;

/** Whether the store location names a PostgreSQL database. */
export function isPgUrl(location: string): boolean {
  return PG_SCHEMES.test(location.trim());
}

/**
 * The location as it may be shown: a PostgreSQL URL with its password (and any
 * `password` query parameter) replaced by ***; a folder as it is.
 */
export function maskStoreLocation(location: string): string {
  if (!isPgUrl(location)) return location;
  let url: URL;
  try {
    url = new URL(location.trim());
  } catch {
    // Not parseable: hide everything between the scheme and an @, where a password would be.
    return location.replace(/^(postgres(?:ql)?:\/\/)[^@/]*@/i, '$1***@');
  }
  if (url.password) url.password = '***';
  for (const key of [...url.searchParams.keys()]) if (/^(password|sslpassword|sslkey)$/i.test(key)) url.searchParams.set(key, '***');
  // URL writes *** percent-encoded in some places; shown to a person it reads better plain.
  return url.toString().replace(/%2A%2A%2A/gi, '***');
}

/** Replaces every occurrence of the location (in a message from elsewhere) with its masked form. */
export function maskIn(text: string, location: string): string {
  if (!isPgUrl(location)) return text;
  const masked = maskStoreLocation(location);
  return text.split(location).join(masked);
}
