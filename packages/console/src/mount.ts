/** `/console/` → `/console`; `/` or nothing → the root. */
export function normalizeMount(path: string | undefined): string {
  if (!path || path === '/') return '';
  const withSlash = path.startsWith('/') ? path : `/${path}`;
  return withSlash.endsWith('/') ? withSlash.slice(0, -1) : withSlash;
}
