/**
 * Loads an optional-at-install driver synchronously, so an adapter built from a connection string
 * fails at construction, with the package to install, when the driver is missing — not at its
 * first query with a module-resolution error.
 */
import { createRequire } from 'node:module';
import { AgentVaultConfigurationError } from '@agentvault/core/errors';

/** Resolves from this package's own location (tsup's `shims` give the CJS build `import.meta.url`). */
const requireHere = createRequire(import.meta.url);

/**
 * `require(name)`, or an AgentVaultConfigurationError naming the package when it is not installed.
 * `from` is for tests: another place to resolve from.
 */
export function requireDriver<T>(name: string, neededFor: string, from: NodeJS.Require = requireHere): T {
  try {
    return from(name) as T;
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    const missing = code === 'MODULE_NOT_FOUND' && String((error as Error).message).includes(`'${name}'`);
    if (!missing) throw error;
    throw new AgentVaultConfigurationError(
      `${neededFor} needs the \`${name}\` package, which is not installed: run \`npm install ${name}\``,
      { cause: error },
    );
  }
}
