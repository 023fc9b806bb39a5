/**
 * An endpoint as it may be printed or logged: a URL keeps its origin and path only, since its
 * user:password and query (`?api_key=`) can carry secrets. Anything that is not a URL (a
 * `host:port`, a file path) is printed as it is.
 */
export function safeEndpoint(endpoint: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint)) return endpoint;
  try {
    const url = new URL(endpoint);
    return url.origin + url.pathname;
  } catch {
    return '(an endpoint that is not a valid URL)';
  }
}
