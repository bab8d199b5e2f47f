/** Response headers, cookies, and the checks a state-changing request must pass. */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    'default-src \'none\'; style-src \'self\'; img-src \'self\'; form-action \'self\'; frame-ancestors \'none\'; base-uri \'none\'',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // Not no-referrer: with it Chromium sends `Origin: null` on the console's own form posts.
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
};

export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (!header) return cookies;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    const name = part.slice(0, eq).trim();
    if (!cookies.has(name)) cookies.set(name, part.slice(eq + 1).trim());
  }
  return cookies;
}

export function cookie(
  name: string,
  value: string,
  options: { path: string; secure: boolean; maxAgeSeconds?: number },
): string {
  const parts = [`${name}=${value}`, `Path=${options.path || '/'}`, 'HttpOnly', 'SameSite=Strict'];
  if (options.secure) parts.push('Secure');
  if (options.maxAgeSeconds !== undefined) parts.push(`Max-Age=${options.maxAgeSeconds}`);
  return parts.join('; ');
}

export function sameToken(a: string | null | undefined, b: string | null | undefined): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A CSRF token bound to a host-authenticated user (the host owns the session): HMAC of who they are. */
export function boundToken(secret: Buffer, identity: string): string {
  return createHmac('sha256', secret).update(identity).digest('base64url');
}

/**
 * Is a POST from a page of this console? `Sec-Fetch-Site` (sent by current browsers) must say
 * same-origin; else an `Origin` header must be this console's origin. A request with neither
 * (not a browser) still needs the CSRF token.
 */
export function crossSiteRefusal(
  header: (name: string) => string | undefined,
  expectedOrigin: string,
): string | null {
  const site = header('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin') return `cross-site request (Sec-Fetch-Site: ${site})`;
  const origin = header('origin');
  if (origin !== undefined && origin !== expectedOrigin) return 'cross-origin request';
  return null;
}
