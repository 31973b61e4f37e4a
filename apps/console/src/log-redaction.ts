/**
 * Log fields replaced by `[redacted]` on every line, whatever is passed to the logger: request
 * bodies (a sign-in body carries a password), passwords, cookies and CSRF tokens. The request
 * log writes none of them; this is the second line of defence.
 */
export const REDACTED_LOG_PATHS: readonly string[] = [
  'password',
  '*.password',
  'body',
  '*.body',
  'req.headers.cookie',
  'headers.cookie',
  '*.headers.cookie',
  'csrfToken',
  '*.csrfToken',
];
