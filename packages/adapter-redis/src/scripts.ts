/** Every script the adapter runs: the shared prelude followed by one operation's body. */
import { type Script, script } from './client';
import { ACCESS_SCRIPTS } from './lua/access';
import { AUDIT_SCRIPTS } from './lua/audit';
import { MAINTENANCE_SCRIPTS } from './lua/maintenance';
import { PRELUDE_LUA } from './lua/prelude';
import { SECRET_SCRIPTS } from './lua/secrets';

const BODIES = { ...SECRET_SCRIPTS, ...ACCESS_SCRIPTS, ...AUDIT_SCRIPTS, ...MAINTENANCE_SCRIPTS };

export type ScriptName = keyof typeof BODIES;

export const SCRIPTS = Object.fromEntries(
  Object.entries(BODIES).map(([name, body]) => [name, script(name, `${PRELUDE_LUA}\n${body}`)]),
) as Record<ScriptName, Script>;
