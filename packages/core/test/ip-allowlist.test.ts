import { describe, expect, it } from 'vitest';
import { entryWithin, ipAllowed, normalizeAllowlistEntry } from '../src/domain/ip-allowlist';
import { addressBucket } from '../src/http/client-ip';

describe('IP allowlists', () => {
  it('normalizes valid entries and refuses the rest', () => {
    expect(normalizeAllowlistEntry('10.0.1.50')).toBe('10.0.1.50');
    expect(normalizeAllowlistEntry('10.0.0.0/8')).toBe('10.0.0.0/8');
    expect(normalizeAllowlistEntry('2001:DB8::/32')).toBe('2001:db8::/32');
    expect(normalizeAllowlistEntry('::ffff:10.1.2.3')).toBe('10.1.2.3');
    for (const bad of [
      '1',
      '010.1.1.1',
      '10.0.0.0/33',
      '2001:db8::/129',
      '10.0.0.0/',
      'fe80::1%eth0',
      'example.com',
      '10.0.0.0/8/8',
    ]) {
      expect(normalizeAllowlistEntry(bad), bad).toBeNull();
    }
  });

  it('matches addresses against ranges of their own family', () => {
    const list = ['10.0.0.0/8', '2001:db8::/32', '192.168.1.7'];
    expect(ipAllowed('10.255.0.1', list)).toBe(true);
    expect(ipAllowed('::ffff:10.0.0.1', list)).toBe(true);
    expect(ipAllowed('2001:db8:1::1', list)).toBe(true);
    expect(ipAllowed('192.168.1.7', list)).toBe(true);
    expect(ipAllowed('192.168.1.8', list)).toBe(false);
    expect(ipAllowed('11.0.0.1', list)).toBe(false);
    expect(ipAllowed('garbage', list)).toBe(false);
  });

  it('tells whether a range lies inside others', () => {
    expect(entryWithin('10.1.0.0/16', ['10.0.0.0/8'])).toBe(true);
    expect(entryWithin('10.1.2.3', ['10.0.0.0/8'])).toBe(true);
    expect(entryWithin('10.0.0.0/7', ['10.0.0.0/8'])).toBe(false);
    expect(entryWithin('11.0.0.0/16', ['10.0.0.0/8'])).toBe(false);
    expect(entryWithin('2001:db8::/48', ['10.0.0.0/8'])).toBe(false);
  });
});

describe('addressBucket', () => {
  it('limits IPv4 by address and IPv6 by its /64', () => {
    expect(addressBucket('203.0.113.9')).toBe('203.0.113.9');
    expect(addressBucket('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressBucket('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(addressBucket('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(addressBucket(null)).toBe('unknown');
  });
});
