/**
 * Lua shared by every script: argument reading, key names, failures, the secret indexes and the
 * audit append. Every script starts with ARGV[1] = key prefix and ARGV[2] = tenant; all keys it
 * touches are derived from those two (see the README's key layout).
 *
 * Rule for every script: all checks that can fail come before the first write, because Redis does
 * not roll back the writes of a script that raises an error part-way.
 */
import { SHA256_LUA } from './sha256';

export const PRELUDE_LUA = `
local call = redis.call
local P = ARGV[1]
local T = ARGV[2]
local K = P .. 't:' .. T .. ':'
local argi = 2
local function arg() argi = argi + 1; return ARGV[argi] end
local function numarg() return tonumber(arg()) end
-- '' stands for null in arguments.
local function optarg() local v = arg(); if v == '' then return nil end; return v end

local function fail(code, detail) error(redis.error_reply('AVERR ' .. code .. ' ' .. (detail or ''))) end

local TIER_RANK = { standard = 0, sensitive = 1, critical = 2 }

-- Secrets: a hash per secret, a hash of version fields per secret, sorted sets of paths.
local function secretKey(path) return K .. 's:' .. path end
local function versionsKey(path) return K .. 'v:' .. path end
local function classKey(state, tier, kind) return K .. 'c:' .. state .. ':' .. tier .. ':' .. kind end
local function indexPath(path, state, tier, kind)
  call('ZADD', K .. state, 0, path)
  call('ZADD', classKey(state, tier, kind), 0, path)
end
local function unindexPath(path, state, tier, kind)
  call('ZREM', K .. state, path)
  call('ZREM', classKey(state, tier, kind), path)
end

-- Byte-wise order (Lua's '<' on strings follows the server's locale).
local function bytesBefore(a, b)
  local n = math.min(#a, #b)
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end

-- Store-wide lifecycle indexes of '<tenant> \\0 <path>' (maintenance works across tenants):
-- live secrets by rotation.nextAt ('-inf' while a version is pending), live secrets by expiresAt,
-- trashed secrets by purgeAt. Every script that changes one of those fields, the trash state or
-- the secret's existence ends with syncLifecycle, which re-derives all three from the hash.
local ROTATION_INDEX, EXPIRY_INDEX, PURGE_INDEX = P .. 'ix:rot', P .. 'ix:exp', P .. 'ix:purge'
-- Pending approval requests of every tenant by expiresAt, members '<tenant> \\0 <id>'.
local APPROVAL_INDEX = P .. 'ix:apr'
local function placeIn(index, member, score)
  if score then call('ZADD', index, score, member) else call('ZREM', index, member) end
end
local function syncLifecycleOf(tenant, path)
  local f = call('HMGET', P .. 't:' .. tenant .. ':s:' .. path, 'cur', 'trash', 'pend', 'rotn', 'exp', 'purge')
  local member = tenant .. '\\0' .. path
  local live = f[1] and not f[2]
  placeIn(ROTATION_INDEX, member, live and ((f[3] and '-inf') or f[4]) or nil)
  placeIn(EXPIRY_INDEX, member, live and f[5] or nil)
  placeIn(PURGE_INDEX, member, (f[1] and f[2] and f[6]) or nil)
end
local function syncLifecycle(path) syncLifecycleOf(T, path) end
-- Split a store-wide index member into tenant and key.
local function splitMember(member)
  local sep = string.find(member, '\\0', 1, true)
  return string.sub(member, 1, sep - 1), string.sub(member, sep + 1)
end

-- Field/value pairs to set, then fields to delete (a patch with nulls).
local function readPatch()
  local sets, dels = {}, {}
  for _ = 1, numarg() do sets[#sets + 1] = arg(); sets[#sets + 1] = arg() end
  for _ = 1, numarg() do dels[#dels + 1] = arg() end
  return sets, dels
end
local function applyPatch(key, sets, dels)
  if #sets > 0 then call('HSET', key, unpack(sets)) end
  if #dels > 0 then call('HDEL', key, unpack(dels)) end
end

-- Tokens and their store-wide hash index.
local function tokenKey(id) return K .. 'tok:' .. id end
local function tokenUse(id, now)
  local key = tokenKey(id)
  local f = call('HMGET', key, 'exp', 'uses', 'rev')
  if not f[1] or f[3] then return 'token_revoked' end
  if tonumber(f[1]) <= now then return 'token_expired' end
  if f[2] then
    if tonumber(f[2]) <= 0 then return 'token_exhausted' end
    call('HINCRBY', key, 'uses', -1)
  end
  return 'ok'
end
local function readToken()
  return { id = arg(), hash = arg(), parent = optarg(), fields = { 'rec', arg(), 'exp', arg() },
    uses = optarg(), rev = optarg() }
end
local function assertNewToken(t)
  if call('EXISTS', tokenKey(t.id)) == 1 or call('EXISTS', P .. 'th:' .. t.hash) == 1 then
    fail('conflict', 'token')
  end
end
local function storeToken(t)
  local key = tokenKey(t.id)
  call('HSET', key, unpack(t.fields))
  if t.uses then call('HSET', key, 'uses', t.uses) end
  if t.rev then call('HSET', key, 'rev', t.rev) end
  call('SET', P .. 'th:' .. t.hash, T .. '\\0' .. t.id)
  call('ZADD', K .. 'toks', 0, t.id)
  if t.parent then call('ZADD', K .. 'tokc:' .. t.parent, 0, t.id) end
end

${SHA256_LUA}

-- Audit: events under P e:<id> (ids are unique store-wide), chain heads in K heads,
-- per-chain seq index, and lexically ordered '<ts16>:<id>' indexes for queries (events without a
-- path go to 'ev:np', so "any path" is the complement of that small set, not one more write per read).
local GENESIS = string.rep('0', 64)
local function readEvent()
  local e = { id = arg(), chain = arg(), member = arg(), type = arg(), path = arg(), actor = arg(),
    body = arg(), digest = arg(), label = arg(), predPrev = arg(), predLabel = arg(), predHash = arg() }
  e.ns = {}
  for i = 1, numarg() do e.ns[i] = arg() end
  return e
end
local function assertNewEvent(e)
  if call('EXISTS', P .. 'e:' .. e.id) == 1 then fail('duplicate_event', e.id) end
end
-- Links the event to its chain head and stores it; returns the new head hash.
local function appendEvent(e, label)
  local head = call('HGET', K .. 'heads', e.chain)
  local seq, prev = 0, GENESIS
  if head then
    local s, h = string.match(head, '^(%d+):(%x+)$')
    seq, prev = tonumber(s), h
  end
  seq = seq + 1
  local hash
  -- The caller may send the link it computed for the head it expected; it is used only when the
  -- head and the outcome are exactly the ones it was computed for.
  if e.predHash ~= '' and e.predPrev == prev and e.predLabel == label then
    hash = e.predHash
  else
    hash = sha256hex(fromhex(prev) .. fromhex(e.digest) .. label)
  end
  call('SET', P .. 'e:' .. e.id, seq .. '\\n' .. hash .. '\\n' .. label .. '\\n' .. e.body)
  call('HSET', K .. 'heads', e.chain, seq .. ':' .. hash)
  call('ZADD', K .. 'ch:' .. e.chain, seq, e.id)
  local m = e.member
  call('ZADD', K .. 'ev', 0, m)
  call('ZADD', K .. 'ev:a:' .. e.actor, 0, m)
  call('ZADD', K .. 'ev:y:' .. e.type, 0, m)
  if string.sub(label, 1, 1) == '0' then call('ZADD', K .. 'ev:f', 0, m) end
  if e.path == '' then
    call('ZADD', K .. 'ev:np', 0, m)
  else
    call('ZADD', K .. 'ev:p:' .. e.path, 0, m)
    for _, ns in ipairs(e.ns) do call('ZADD', K .. 'ev:n:' .. ns, 0, m) end
  end
  return hash
end
`;
