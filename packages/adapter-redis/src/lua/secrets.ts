/** Lua bodies of the secret operations (run after the prelude). */

const VERSION_HELPERS = `
local function readVersionArgs()
  return { n = arg(), c = arg(), k = arg(), w = arg(), t = arg(), b = arg(), r = optarg() }
end
local function storeVersion(path, v)
  local key = versionsKey(path)
  call('HSET', key, v.n .. ':c', v.c, v.n .. ':k', v.k, v.n .. ':w', v.w, v.n .. ':t', v.t, v.n .. ':b', v.b)
  if v.r then call('HSET', key, v.n .. ':r', v.r) end
end
-- A live secret's fields, or a not_found failure.
local function liveSecret(path, ...)
  local f = call('HMGET', secretKey(path), 'cur', 'trash', ...)
  if not f[1] or f[2] then fail('not_found', 'secret') end
  return f
end
-- After a patch: move the path to the class set of its new tier and type.
local function reclassify(path, state, oldTier, oldKind)
  local now = call('HMGET', secretKey(path), 'tier', 'type')
  if now[1] ~= oldTier or now[2] ~= oldKind then
    call('ZREM', classKey(state, oldTier, oldKind), path)
    call('ZADD', classKey(state, now[1], now[2]), 0, path)
  end
end
`;

export const SECRET_SCRIPTS = {
  createSecret: `${VERSION_HELPERS}
local path = arg()
local sets = readPatch()
local v = readVersionArgs()
local e = readEvent()
if call('EXISTS', secretKey(path)) == 1 then fail('conflict', 'exists') end
assertNewEvent(e)
call('HSET', secretKey(path), unpack(sets))
storeVersion(path, v)
local f = call('HMGET', secretKey(path), 'tier', 'type')
indexPath(path, 'live', f[1], f[2])
call('ZADD', P .. 'paths', 0, T .. '\\0' .. path)
syncLifecycle(path)
return { appendEvent(e, e.label) }
`,

  appendVersion: `${VERSION_HELPERS}
local path = arg()
local expected = numarg()
local retire = optarg()
local v = readVersionArgs()
local sets, dels = readPatch()
local e = readEvent()
local f = liveSecret(path, 'latest', 'tier', 'type')
if tonumber(v.n) ~= tonumber(f[3]) + 1 or tonumber(f[1]) ~= expected then fail('conflict', 'stale') end
assertNewEvent(e)
if retire then call('HSET', versionsKey(path), f[1] .. ':r', retire) end
storeVersion(path, v)
applyPatch(secretKey(path), sets, dels)
call('HSET', secretKey(path), 'cur', v.n, 'latest', v.n, 'uat', v.t, 'uby', v.b)
reclassify(path, 'live', f[4], f[5])
syncLifecycle(path)
local head = appendEvent(e, e.label)
return { head, call('HGETALL', secretKey(path)) }
`,

  updateSecretMetadata: `${VERSION_HELPERS}
local path = arg()
local expected = optarg()
local sets, dels = readPatch()
local updatedAt, updatedBy = arg(), arg()
local e = readEvent()
local f = liveSecret(path, 'tier', 'type')
if expected and tonumber(expected) ~= tonumber(f[1]) then fail('conflict', 'stale') end
assertNewEvent(e)
applyPatch(secretKey(path), sets, dels)
call('HSET', secretKey(path), 'uat', updatedAt, 'uby', updatedBy)
reclassify(path, 'live', f[3], f[4])
syncLifecycle(path)
local head = appendEvent(e, e.label)
return { head, call('HGETALL', secretKey(path)) }
`,

  rollbackSecret: `${VERSION_HELPERS}
local path = arg()
local to = arg()
local expected = optarg()
local now = numarg()
local by = arg()
local e = readEvent()
local f = liveSecret(path, 'pend')
local target = call('HMGET', versionsKey(path), to .. ':t', to .. ':r')
if not target[1] then fail('not_found', 'version') end
if target[2] and tonumber(target[2]) <= now then fail('gone', 'retired') end
if f[3] and tonumber(f[3]) == tonumber(to) then fail('conflict', 'pending') end
if expected and tonumber(expected) ~= tonumber(f[1]) then fail('conflict', 'stale') end
assertNewEvent(e)
call('HSET', secretKey(path), 'cur', to, 'uat', now, 'uby', by)
local head = appendEvent(e, e.label)
return { head, call('HGETALL', secretKey(path)) }
`,

  trashSecret: `${VERSION_HELPERS}
local path = arg()
local now, purgeAt = arg(), arg()
local e = readEvent()
local f = liveSecret(path, 'tier', 'type')
assertNewEvent(e)
call('HSET', secretKey(path), 'trash', now, 'purge', purgeAt)
unindexPath(path, 'live', f[3], f[4])
indexPath(path, 'trash', f[3], f[4])
syncLifecycle(path)
return { appendEvent(e, e.label) }
`,

  restoreSecret: `
local path = arg()
local now, by = arg(), arg()
local e = readEvent()
local f = call('HMGET', secretKey(path), 'trash', 'tier', 'type')
if not f[1] then fail('not_found', 'trashed secret') end
assertNewEvent(e)
call('HDEL', secretKey(path), 'trash', 'purge')
call('HSET', secretKey(path), 'uat', now, 'uby', by)
unindexPath(path, 'trash', f[2], f[3])
indexPath(path, 'live', f[2], f[3])
syncLifecycle(path)
local head = appendEvent(e, e.label)
return { head, call('HGETALL', secretKey(path)) }
`,

  /** With a purge deadline (maintenance), only a secret trashed with purgeAt <= that deadline. */
  destroySecret: `
local path = arg()
local dueBy = optarg()
local e = readEvent()
local f = call('HMGET', secretKey(path), 'cur', 'trash', 'tier', 'type', 'purge')
if not f[1] then fail('not_found', 'secret') end
if dueBy and not (f[2] and f[5] and tonumber(f[5]) <= tonumber(dueBy)) then fail('not_found', 'not due for purge') end
assertNewEvent(e)
call('DEL', secretKey(path), versionsKey(path))
unindexPath(path, f[2] and 'trash' or 'live', f[3], f[4])
call('ZREM', P .. 'paths', T .. '\\0' .. path)
syncLifecycle(path)
return { appendEvent(e, e.label) }
`,

  /** A new version that is latest and pending but not current. */
  stageVersion: `${VERSION_HELPERS}
local path = arg()
local expected = numarg()
local v = readVersionArgs()
local e = readEvent()
local f = liveSecret(path, 'latest', 'pend')
if f[4] or tonumber(v.n) ~= tonumber(f[3]) + 1 or tonumber(f[1]) ~= expected then
  fail('conflict', 'stale or pending')
end
assertNewEvent(e)
storeVersion(path, v)
call('HSET', secretKey(path), 'latest', v.n, 'pend', v.n)
syncLifecycle(path)
local head = appendEvent(e, e.label)
return { head, call('HGETALL', secretKey(path)) }
`,

  /** The pending version becomes current, if no write came after it. */
  promoteVersion: `
local path, n, retireAt, now, by = arg(), numarg(), arg(), arg(), arg()
local sets, dels = readPatch()
local e = readEvent()
local f = call('HMGET', secretKey(path), 'cur', 'pend', 'latest')
if not f[1] or tonumber(f[2]) ~= n or tonumber(f[3]) ~= n then fail('conflict', 'not the pending version') end
assertNewEvent(e)
call('HSET', versionsKey(path), f[1] .. ':r', retireAt)
call('HDEL', secretKey(path), 'pend')
applyPatch(secretKey(path), sets, dels)
call('HSET', secretKey(path), 'cur', f[2], 'uat', now, 'uby', by)
syncLifecycle(path)
local head = appendEvent(e, e.label)
return { head, call('HGETALL', secretKey(path)) }
`,

  /** The pending version is retired at once and is pending no more. */
  discardPending: `
local path, n, now = arg(), numarg(), arg()
local sets, dels = readPatch()
local e = readEvent()
local f = call('HMGET', secretKey(path), 'cur', 'pend')
if not f[1] or tonumber(f[2]) ~= n then fail('conflict', 'not the pending version') end
assertNewEvent(e)
call('HSET', versionsKey(path), f[2] .. ':r', now)
call('HDEL', secretKey(path), 'pend')
applyPatch(secretKey(path), sets, dels)
syncLifecycle(path)
local head = appendEvent(e, e.label)
return { head, call('HGETALL', secretKey(path)) }
`,

  /** The audited read: token use, outcome, accessedAt touch and the event, atomically. */
  readSecret: `
local path = arg()
local requested = arg()
local nowText = arg()
local now = tonumber(nowText)
local maxRank = optarg()
local tokenId = optarg()
local e = readEvent()
assertNewEvent(e)
local outcome
if tokenId then
  outcome = tokenUse(tokenId, now)
  if outcome == 'ok' then outcome = nil end
end
local served, version, secret
if not outcome then
  secret = call('HGETALL', secretKey(path))
  local s = {}
  for i = 1, #secret, 2 do s[secret[i]] = secret[i + 1] end
  if not s.cur or s.trash then
    outcome = 'not_found'
  else
    served = requested ~= '' and requested or s.cur
    version = call('HMGET', versionsKey(path), served .. ':c', served .. ':k', served .. ':w',
      served .. ':t', served .. ':b', served .. ':r')
    if not version[1] then outcome = 'not_found'
    elseif maxRank and TIER_RANK[s.tier] > tonumber(maxRank) then outcome = 'tier_exceeded'
    elseif s.exp and tonumber(s.exp) <= now then outcome = 'expired'
    elseif version[6] and tonumber(version[6]) <= now then outcome = 'retired'
    end
  end
end
if outcome then
  return { appendEvent(e, '0|' .. outcome .. '|' .. requested), outcome }
end
call('HSET', secretKey(path), 'aat', nowText)
local head = appendEvent(e, '1||' .. served)
version[6] = version[6] or ''
-- The secret as updated: the fields read above with accessedAt replaced (the client reads it as 'aat').
secret[#secret + 1] = 'aat'
secret[#secret + 1] = nowText
return { head, 'ok', secret, served, version }
`,

  /** One page of paths from the live or trash indexes; see the README for what each filter costs. */
  listSecrets: `
local state = arg()
local low, high, start = arg(), arg(), arg()
local afterCount = arg()
local limit = numarg()
local sets = {}
for i = 1, numarg() do sets[i] = K .. arg() end
local tags = {}
for _ = 1, numarg() do tags[#tags + 1] = { arg(), arg() } end

local function tagsMatch(path)
  local raw = call('HGET', secretKey(path), 'tags')
  local have = cjson.decode(raw)
  for _, t in ipairs(tags) do
    if have[t[1]] ~= t[2] then return false end
  end
  return true
end

local total = 0
local lists = {}
for i, set in ipairs(sets) do
  if #tags == 0 then
    total = total + call('ZLEXCOUNT', set, low, high)
    lists[i] = call('ZRANGEBYLEX', set, start, high, 'LIMIT', 0, limit)
  else
    -- Tags have no index: every path of the namespace range in this set is checked.
    local skip = afterCount ~= '' and call('ZLEXCOUNT', set, low, afterCount) or 0
    local page = {}
    for j, path in ipairs(call('ZRANGEBYLEX', set, low, high)) do
      if tagsMatch(path) then
        total = total + 1
        if j > skip and #page < limit then page[#page + 1] = path end
      end
    end
    lists[i] = page
  end
end

-- Merge the sorted lists and keep the first 'limit' paths.
local picked = {}
local heads = {}
for i = 1, #lists do heads[i] = 1 end
while #picked < limit do
  local best
  for i, list in ipairs(lists) do
    local p = list[heads[i]]
    if p and (not best or bytesBefore(p, lists[best][heads[best]])) then best = i end
  end
  if not best then break end
  picked[#picked + 1] = lists[best][heads[best]]
  heads[best] = heads[best] + 1
end

local items = {}
for i, path in ipairs(picked) do items[i] = { path, call('HGETALL', secretKey(path)) } end
return { total, items }
`,

  listVersions: `
local path = arg()
local latest = call('HGET', secretKey(path), 'latest')
local out = {}
if not latest then return out end
local key = versionsKey(path)
for n = 1, tonumber(latest) do
  local f = call('HMGET', key, n .. ':k', n .. ':t', n .. ':b', n .. ':r')
  if f[1] then out[#out + 1] = { n, f[1], f[2], f[3], f[4] or '' } end
end
return out
`,

  /** Wrapped keys of every tenant in (tenant, path, version) order, from the store-wide path index. */
  listWrappedKeys: `
local afterMember = optarg()
local afterVersion = numarg()
local limit = numarg()
local notKeyId = optarg()
local out = {}
local min = afterMember and ('[' .. afterMember) or '-'
while #out < limit do
  local members = call('ZRANGEBYLEX', P .. 'paths', min, '+', 'LIMIT', 0, 50)
  if #members == 0 then break end
  for _, member in ipairs(members) do
    local sep = string.find(member, '\\0', 1, true)
    local tenant, path = string.sub(member, 1, sep - 1), string.sub(member, sep + 1)
    local base = P .. 't:' .. tenant .. ':'
    local latest = call('HGET', base .. 's:' .. path, 'latest')
    if latest then
      for n = 1, tonumber(latest) do
        if #out >= limit then break end
        if member ~= afterMember or n > afterVersion then
          local f = call('HMGET', base .. 'v:' .. path, n .. ':k', n .. ':w')
          if f[1] and (not notKeyId or f[1] ~= notKeyId) then
            out[#out + 1] = { tenant, path, n, f[1], f[2] }
          end
        end
      end
    end
    if #out >= limit then break end
    min = '(' .. member
  end
end
return out
`,

  replaceWrappedKey: `
local path, n = arg(), arg()
local expectedId, expectedBytes, nextId, nextBytes = arg(), arg(), arg(), arg()
local key = versionsKey(path)
local f = call('HMGET', key, n .. ':k', n .. ':w')
if not f[1] or f[1] ~= expectedId or f[2] ~= expectedBytes then return 0 end
call('HSET', key, n .. ':k', nextId, n .. ':w', nextBytes)
return 1
`,
} as const;
