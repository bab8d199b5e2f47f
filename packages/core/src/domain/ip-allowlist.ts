/** Token IP allowlists: IPv4 and IPv6 addresses and CIDR ranges, matched with ipaddr.js. */
import type ipaddrModule from 'ipaddr.js';
import { lazyRequire } from '../lazy-require';

const load = lazyRequire<typeof ipaddrModule>('ipaddr.js');

type Address = ipaddrModule.IPv4 | ipaddrModule.IPv6;

function parseStrictAddress(text: string): Address | null {
  const ipaddr = load();
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (ipaddr.IPv6.isValid(text) && !text.includes('%')) return ipaddr.process(text);
  return null;
}

/** The normalized form of an allowlist entry (`10.0.0.0/8`, `2001:db8::/32`, `10.0.1.50`), or null if invalid. */
export function normalizeAllowlistEntry(entry: string): string | null {
  const slash = entry.indexOf('/');
  if (slash === -1) return parseStrictAddress(entry)?.toString() ?? null;
  const address = parseStrictAddress(entry.slice(0, slash));
  const bitsText = entry.slice(slash + 1);
  if (!address || !/^\d{1,3}$/.test(bitsText)) return null;
  const bits = Number(bitsText);
  if (bits > (address.kind() === 'ipv4' ? 32 : 128)) return null;
  return `${address.toString()}/${bits}`;
}

/** A normalized entry as an (address, prefix length) range; a bare address is a full-length range. */
function toRange(entry: string): [Address, number] {
  const ipaddr = load();
  if (entry.includes('/')) return ipaddr.parseCIDR(entry);
  const address = ipaddr.parse(entry);
  return [address, address.kind() === 'ipv4' ? 32 : 128];
}

/** Is `ip` inside one of the (normalized) entries? IPv4-mapped IPv6 addresses count as IPv4. */
export function ipAllowed(ip: string, entries: readonly string[]): boolean {
  const ipaddr = load();
  const address = parseStrictAddress(ip) ?? (ipaddr.isValid(ip) ? ipaddr.process(ip) : null);
  if (!address) return false;
  return entries.some((entry) => {
    const [network, bits] = toRange(entry);
    return network.kind() === address.kind() && address.match(network, bits);
  });
}

/** Is every address of the (normalized) entry inside one of `ranges`? */
export function entryWithin(entry: string, ranges: readonly string[]): boolean {
  const [address, bits] = toRange(entry);
  return ranges.some((range) => {
    const [network, rangeBits] = toRange(range);
    return network.kind() === address.kind() && bits >= rangeBits && address.match(network, rangeBits);
  });
}
