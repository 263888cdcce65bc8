/**
 * Validates an endpoint/authority override of a KMS config (private endpoints, sovereign clouds,
 * loopback fakes): an absolute http(s) URL without credentials, query or fragment. Plain http is
 * allowed only for loopback hosts. Returns problems (empty when valid); never echoes the value.
 */
export function endpointProblems(value: unknown, field: string): string[] {
  if (value === undefined) return [];
  if (typeof value !== 'string') return [`${field} must be a URL string`];
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return [`${field} is not a URL`];
  }
  const problems: string[] = [];
  if (u.protocol !== 'https:' && u.protocol !== 'http:') problems.push(`${field} must be an https:// URL`);
  if (u.protocol === 'http:' && !isLoopbackHost(u.hostname)) problems.push(`${field} may use http:// only for a loopback host`);
  if (u.username !== '' || u.password !== '') problems.push(`${field} must not carry credentials`);
  if (u.search !== '' || u.hash !== '') problems.push(`${field} must not have a query or fragment`);
  return problems;
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}
