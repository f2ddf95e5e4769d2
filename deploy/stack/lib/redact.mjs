// Masks passwords in what the stack and start scripts print: an OPENSEARCH_URL or DATABASE_URL
// with credentials is shown as scheme://user:***@host. Mirrors redactCredentials in libs/config.

const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#"'<>`]*)@/gi;

/** `text` with the password of every `scheme://user:password@host` in it replaced by `***`. */
export function redactCredentials(text) {
  return String(text).replace(URL_USERINFO, (_match, scheme, userinfo) => {
    const colon = userinfo.indexOf(':');
    return colon < 0 ? `${scheme}${userinfo}@` : `${scheme}${userinfo.slice(0, colon)}:***@`;
  });
}
