/**
 * Lua bodies of the maintenance operations (run after the prelude): leases, the cross-tenant
 * listings over the store-wide lifecycle indexes, expiry-warning claims, and the index backfill for
 * stores written before those indexes existed.
 */

/** Secrets of every tenant named by store-wide index members: `{ tenant, path, HGETALL }` each. */
const SECRETS_OF = `
local function secretsOf(members)
  local out = {}
  for i, member in ipairs(members) do
    local tenant, path = splitMember(member)
    out[i] = { tenant, path, call('HGETALL', P .. 't:' .. tenant .. ':s:' .. path) }
  end
  return out
end
`;

export const MAINTENANCE_SCRIPTS = {
  /**
   * Take or renew a lease. Decided on the caller's clock (`now`), never the server's: the contract's
   * expiry is `now + ttlMs` in the caller's time. No key TTL is set, since a server-side expiry could
   * free a lease the caller's clock still counts as held.
   */
  acquireLease: `
local name, owner, now, expiresAt = arg(), arg(), arg(), arg()
local key = P .. 'lease:' .. name
local f = call('HMGET', key, 'owner', 'exp')
if f[1] and f[1] ~= owner and tonumber(f[2]) > tonumber(now) then return 0 end
call('HSET', key, 'owner', owner, 'exp', expiresAt)
return 1
`,

  releaseLease: `
local name, owner = arg(), arg()
local key = P .. 'lease:' .. name
if call('HGET', key, 'owner') == owner then call('DEL', key) end
return 0
`,

  /** Pending ones carry the score '-inf', so they come first. */
  listDueRotations: `${SECRETS_OF}
local now, limit = arg(), numarg()
return secretsOf(call('ZRANGEBYSCORE', ROTATION_INDEX, '-inf', now, 'LIMIT', 0, limit))
`,

  listPurgeableSecrets: `${SECRETS_OF}
local now, limit = arg(), numarg()
return secretsOf(call('ZRANGEBYSCORE', PURGE_INDEX, '-inf', now, 'LIMIT', 0, limit))
`,

  /**
   * A page of the expiry index in (expiresAt, tenant, path) order: Redis orders equal scores by
   * member bytes, and '<tenant> \\0 <path>' bytes order as (tenant, path) because tenant ids hold no
   * byte below '-'. The keyset start among the secrets sharing the last page's expiresAt is found by
   * a binary search over their ranks, so a page costs O(log² n + limit) however many share a time.
   */
  listExpiringSecrets: `${SECRETS_OF}
local from, upTo = arg(), arg()
local afterAt, afterMember = optarg(), optarg()
local limit = numarg()
local start = call('ZCOUNT', EXPIRY_INDEX, '-inf', from)
if afterAt and tonumber(afterAt) >= tonumber(from) then
  local lo = call('ZCOUNT', EXPIRY_INDEX, '-inf', '(' .. afterAt)
  local hi = call('ZCOUNT', EXPIRY_INDEX, '-inf', afterAt)
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if bytesBefore(afterMember, call('ZRANGE', EXPIRY_INDEX, mid, mid)[1]) then hi = mid else lo = mid + 1 end
  end
  start = math.max(start, lo)
end
local stop = math.min(call('ZCOUNT', EXPIRY_INDEX, '-inf', upTo), start + limit) - 1
if stop < start then return {} end
return secretsOf(call('ZRANGE', EXPIRY_INDEX, start, stop))
`,

  /** Once per (path, expiresAt, kind) in the tenant, ever; the reply's head is '' when already claimed. */
  claimExpiryWarning: `
local claim = arg()
local e = readEvent()
if call('SISMEMBER', K .. 'warned', claim) == 1 then return { '', 0 } end
assertNewEvent(e)
call('SADD', K .. 'warned', claim)
return { appendEvent(e, e.label), 1 }
`,

  /**
   * Backfill the lifecycle indexes for up to `limit` secrets of the store-wide path index after
   * `after` (a member of it); returns how many it did and the last one ('' at the end).
   */
  reindexSecrets: `
local after, limit = optarg(), numarg()
local members = call('ZRANGEBYLEX', P .. 'paths', after and ('(' .. after) or '-', '+', 'LIMIT', 0, limit)
for _, member in ipairs(members) do syncLifecycleOf(splitMember(member)) end
return { #members, #members < limit and '' or members[#members] }
`,

  /** Backfill the approval deadline index from one tenant's pending requests (ARGV[2] = tenant). */
  reindexApprovals: `
local n = 0
for _, id in ipairs(call('ZRANGE', K .. 'aprs:pending', 0, -1)) do
  local exp = call('HGET', K .. 'apr:' .. id, 'exp')
  if exp then call('ZADD', APPROVAL_INDEX, exp, T .. '\\0' .. id); n = n + 1 end
end
return n
`,
} as const;
