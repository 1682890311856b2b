// What --store names, and the store URL as it may be shown: without node-postgres, so `cronops run` without a
// PostgreSQL store does not load it.

/** Whether a --store value names a PostgreSQL store (anything else is a usage error). */
export function isPostgresUrl(store: string): boolean {
  return /^postgres(ql)?:\/\//i.test(store);
}

/** The secrets inside a connection string: the URL's password and a `password` parameter. */
function findSecrets(url: string): string[] {
  const secrets = new Set<string>();
  const userinfo = /^[a-z]+:\/\/([^@/?#]*)@/i.exec(url)?.[1];
  const colon = userinfo?.indexOf(':') ?? -1;
  if (userinfo !== undefined && colon >= 0) secrets.add(userinfo.slice(colon + 1));
  for (const match of url.matchAll(/[?&]password=([^&#]*)/gi)) secrets.add(match[1] ?? '');
  const decoded = [...secrets].flatMap((secret) => {
    try {
      return [secret, decodeURIComponent(secret)];
    } catch {
      return [secret];
    }
  });
  return decoded.filter((secret) => secret.length > 0).sort((a, b) => b.length - a.length);
}

/** The connection string with its password (in the userinfo or a `password` parameter) replaced by "***". */
export function redactStoreUrl(url: string): string {
  return redactSecrets(url, url)
    .replace(/^([a-z]+:\/\/[^:@/?#]*):[^@/?#]*@/i, '$1:***@')
    .replace(/([?&]password=)[^&#]*/gi, '$1***');
}

/** `text` with every secret of the connection string replaced by "***". */
export function redactSecrets(text: string, url: string): string {
  let out = text;
  for (const secret of findSecrets(url)) out = out.split(secret).join('***');
  return out;
}
