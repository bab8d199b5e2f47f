/** Cloud KMS resource names: which CryptoKey a CryptoKeyVersion belongs to. */
const KEY = /^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+$/;
const VERSION =
  /^(projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+)\/cryptoKeyVersions\/[^/]+$/;

export function isKeyOrVersionName(name: string): boolean {
  return KEY.test(name) || VERSION.test(name);
}

/** The CryptoKey of a CryptoKey or CryptoKeyVersion name; null for anything else. */
export function cryptoKeyOf(name: string): string | null {
  if (KEY.test(name)) return name;
  return VERSION.exec(name)?.[1] ?? null;
}
