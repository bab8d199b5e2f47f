/** Argument parsers shared by the commands; a bad argument is a usage error (exit 1). */
import type { SecretType, Tier } from '@agentvault/client';
import { InvalidArgumentError, Option } from 'commander';

export const TIERS: readonly Tier[] = ['standard', 'sensitive', 'critical'];
export const SECRET_TYPES: readonly SecretType[] = [
  'api_key',
  'oauth_token',
  'db_credential',
  'ssh_key',
  'payment_credential',
  'custom',
];

export function tierOption(flags: string, description: string): Option {
  return new Option(flags, description).choices(TIERS);
}

export function typeOption(flags: string, description: string): Option {
  return new Option(flags, description).choices(SECRET_TYPES);
}

export function positiveInt(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < 1)
    throw new InvalidArgumentError('expected a whole number of at least 1');
  return value;
}

export function nonNegativeInt(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value))
    throw new InvalidArgumentError('expected a whole number of at least 0');
  return value;
}

/** `3` or `v3`, as the seed writes versions. */
export function version(text: string): number {
  return positiveInt(text.replace(/^v/i, ''));
}

/** Repeatable `NAME=value` into an object. */
export function pairs(separatorLabel: string) {
  return (text: string, previous: Record<string, string> = {}): Record<string, string> => {
    const at = text.indexOf('=');
    if (at < 1) throw new InvalidArgumentError(`expected ${separatorLabel}`);
    return { ...previous, [text.slice(0, at)]: text.slice(at + 1) };
  };
}

/** Repeatable `PREFIX=tier` (the seed's `--tier-prefix "DB_=critical"`). */
export function tierPrefix(text: string, previous: Record<string, Tier> = {}): Record<string, Tier> {
  const at = text.lastIndexOf('=');
  const prefix = text.slice(0, at);
  const tier = text.slice(at + 1) as Tier;
  if (at < 1 || !TIERS.includes(tier))
    throw new InvalidArgumentError(`expected PREFIX=tier with tier one of ${TIERS.join(', ')}`);
  return { ...previous, [prefix]: tier };
}

export function collect(text: string, previous: string[] = []): string[] {
  return [...previous, text];
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** An instant: ISO-8601, or an age such as `15m`, `2h`, `7d` before `now`. */
export function instant(now: () => number = Date.now) {
  return (text: string): Date => {
    const age = /^(\d+)([smhdw])$/.exec(text.trim());
    if (age) return new Date(now() - Number(age[1]) * UNITS[age[2]!]!);
    const at = new Date(text);
    if (Number.isNaN(at.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(text.trim()))
      throw new InvalidArgumentError('expected an ISO-8601 time or an age such as 15m, 2h, 7d');
    return at;
  };
}
