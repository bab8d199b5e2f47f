/**
 * `agentvault keygen [--id <id>]`: a new random 256-bit key-encryption key, base64, for
 * AGENTVAULT_LOCAL_KEK (@agentvault/kms-local). Made on this machine: no server, no credential.
 * Only the key goes to stdout, so `export AGENTVAULT_LOCAL_KEK="$(agentvault keygen)"` works.
 */
import { createHash, randomBytes } from 'node:crypto';
import { type Command, InvalidArgumentError } from 'commander';
import type { CliIo } from '../io';
import { printJson } from '../output';

const KEY_BYTES = 32;
/** The key ids the local keyring accepts. */
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

function keyId(value: string): string {
  if (!KEY_ID.test(value)) throw new InvalidArgumentError('1 to 64 of A-Z a-z 0-9 . _ -');
  return value;
}

/** The id the local keyring gives a key set without one: `kek-` and 12 hex digits of its SHA-256. */
function fingerprint(key: Buffer): string {
  return `kek-${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
}

export function registerKeygenCommand(program: Command, io: CliIo): void {
  program
    .command('keygen')
    .description('print a new random 256-bit key-encryption key (base64) for AGENTVAULT_LOCAL_KEK')
    .option('--id <id>', 'name the key: prints <id>:<key>, the form for a ring of several keys', keyId)
    .addHelpText(
      'after',
      `
Without --id the keyring names the key after its fingerprint (kek-…, printed on stderr). To rotate,
put the new key first and keep the old ones after it, then run vault.rewrap():
  AGENTVAULT_LOCAL_KEK="$(agentvault keygen --id k2),k1:<old key>"
Keep the key out of the repository and out of shell history; whoever holds it can read every secret.`,
    )
    .action((options: { id?: string }) => {
      const key = randomBytes(KEY_BYTES);
      const encoded = key.toString('base64');
      const id = options.id ?? fingerprint(key);
      const value = options.id === undefined ? encoded : `${options.id}:${encoded}`;
      const json = program.opts<{ json?: boolean }>().json === true;
      if (json) {
        printJson(io.stdout, { keyId: id, key: encoded, env: { AGENTVAULT_LOCAL_KEK: value } });
        return;
      }
      io.stdout.write(`${value}\n`);
      io.stderr.write(`agentvault: a new key-encryption key (id ${id}) for AGENTVAULT_LOCAL_KEK\n`);
    });
}
