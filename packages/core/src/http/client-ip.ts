/**
 * The client's address: the socket's peer, unless the host says its proxies are trusted. A client
 * can write any `X-Forwarded-For` it likes, so the header counts only behind `trustProxy`, and then
 * only the entry the trusted proxies appended (counted from the right).
 */
import type ipaddrModule from 'ipaddr.js';
import { lazyRequire } from '../lazy-require';

/** Needed only for IPv6 and unusual forms: the common IPv4 cases below never load it. */
const ipaddr = lazyRequire<typeof ipaddrModule>('ipaddr.js');

/**
 * `false` (default): use the socket address. `true`: one trusted proxy in front (take the last
 * `X-Forwarded-For` entry). A number n: n trusted proxies (take the n-th entry from the right).
 */
export type TrustProxy = boolean | number;

const DOTTED_QUAD = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** An address in canonical form (IPv4-mapped IPv6 as plain IPv4), or null if it is not one. */
export function canonicalIp(text: string | null | undefined): string | null {
  if (!text) return null;
  // The common cases, without a full parse: a plain IPv4 address, or one mapped into IPv6.
  if (DOTTED_QUAD.test(text)) return text;
  if (text.startsWith('::ffff:') && DOTTED_QUAD.test(text.slice(7))) return text.slice(7);
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (!ipaddr().isValid(bare) || bare.includes('%')) return null;
  return ipaddr().process(bare).toString();
}

/**
 * The network a client address stands for in rate limits: an IPv4 address itself, an IPv6 address
 * by its /64 — one host usually holds a whole /64, so limiting single IPv6 addresses limits nothing.
 */
export function addressBucket(ip: string | null): string {
  if (ip === null) return 'unknown';
  if (!ip.includes(':')) return ip;
  const parts = ipaddr().IPv6.parse(ip).parts;
  return `${parts.slice(0, 4).map((part) => part.toString(16)).join(':')}::/64`;
}

export function clientIp(
  socketAddress: string | null | undefined,
  forwardedFor: string | null | undefined,
  trustProxy: TrustProxy,
): string | null {
  const socket = canonicalIp(socketAddress);
  const hops = trustProxy === true ? 1 : trustProxy === false ? 0 : Math.max(0, Math.floor(trustProxy));
  if (hops === 0 || !forwardedFor) return socket;
  const entries = forwardedFor.split(',').map((entry) => entry.trim());
  const chosen = entries[Math.max(0, entries.length - hops)];
  return canonicalIp(chosen) ?? socket;
}
