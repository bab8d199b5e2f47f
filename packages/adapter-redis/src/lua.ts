/**
 * The adapter's Lua. Every script gets one key, the tenant's base (`<prefix>{t:<tenant>}:`), and
 * derives the keys it touches from it, so all of them share the base's hash slot (Redis Cluster).
 * Scripts check every condition before their first write (Redis does not roll a script back) and
 * refuse with `AVERR <code> [detail]`. They decide no rule beyond the contract's conditions, index
 * what they store, and compute no hash: the audited read's outcome order is core's `readOutcome`,
 * kept here by design for its one round trip (the shared suite checks both agree).
 *
 * Layout under the base: a record is a hash of its fields, each JSON-encoded, plus `_rev`
 * (`s:<path>` secrets, `v:<path>!<10-digit version>` versions, `k:<kind>:<id>` the rest); indexes
 * are sorted sets whose members are the record's id (`i:…` score 0 for lexical ranges, `d:…` scored
 * by due time); the audit is `ev` (event id → JSON), `e:seq` and `e:time` (ids by seq, by
 * timestamp) and the counter `n`.
 */

const PRELUDE = `
local base = KEYS[1]
local function rkey(kind, id)
  if kind == 'secret' then return base .. 's:' .. id end
  if kind == 'version' then return base .. 'v:' .. id end
  return base .. 'k:' .. kind .. ':' .. id
end
local function vid(path, n) return path .. '!' .. string.format('%010d', tonumber(n)) end
local function hmap(key)
  local flat, m = redis.call('HGETALL', key), {}
  for i = 1, #flat, 2 do m[flat[i]] = flat[i + 1] end
  return m
end
-- A record (its hmap) as one JSON object ('' when absent): its values are JSON text already, and one
-- string costs the client far less to receive and decode than a reply of two elements per field.
local function doc(m)
  local parts = {}
  for name, value in pairs(m) do parts[#parts + 1] = '"' .. name .. '":' .. value end
  return #parts == 0 and '' or '{' .. table.concat(parts, ',') .. '}'
end
local function refuseDuplicate(id)
  if redis.call('HEXISTS', base .. 'ev', id) == 1 then error(redis.error_reply('AVERR duplicate_event')) end
end
-- The sorted sets a record belongs to: {suffix, score}.
local function entries(kind, f)
  local e = {}
  local function add(suffix, score) e[#e + 1] = {suffix, score or 0} end
  if kind == 'secret' then
    local live = f.trashedAt == 'null'
    add('i:secret'); add(live and 'i:live' or 'i:trash')
    add('i:tier:' .. f.tier); add('i:type:' .. f.type)
    for name, value in pairs(cjson.decode(f.tags)) do add('i:tag:' .. #name .. ':' .. name .. '=' .. value) end
    if live then
      if f.pendingVersion ~= 'null' then add('d:rotation', -1)
      elseif f.rotation ~= 'null' then add('d:rotation', cjson.decode(f.rotation).nextAt) end
      if f.expiresAt ~= 'null' then add('d:expiry', tonumber(f.expiresAt)) end
    elseif f.purgeAt ~= 'null' then add('d:purge', tonumber(f.purgeAt)) end
  elseif kind == 'version' then add('i:version')
  else
    add('i:' .. kind)
    if kind == 'token' then
      if f.parentId ~= 'null' then add('i:token:parentId:' .. cjson.decode(f.parentId)) end
      add('i:token:issuedBy:' .. cjson.decode(f.issuedBy))
    elseif kind == 'approval' then
      add('i:approval:status:' .. cjson.decode(f.status))
      if f.status == '"pending"' then add('d:approval', tonumber(f.expiresAt)) end
    end
  end
  return e
end
local function unindex(kind, id, f)
  for _, x in ipairs(entries(kind, f)) do redis.call('ZREM', base .. x[1], id) end
end
local function index(kind, id, f)
  for _, x in ipairs(entries(kind, f)) do redis.call('ZADD', base .. x[1], x[2], id) end
end
-- Replace a record with these fields (flat list) at this rev.
local function put(kind, id, fields, rev)
  local key = rkey(kind, id)
  local old = hmap(key)
  if old._rev then unindex(kind, id, old); redis.call('DEL', key) end
  redis.call('HSET', key, '_rev', rev, unpack(fields))
  local f = {}
  for i = 1, #fields, 2 do f[fields[i]] = fields[i + 1] end
  index(kind, id, f)
end
local function append(id, ts, json)
  local seq = redis.call('INCR', base .. 'n')
  redis.call('HSET', base .. 'ev', id, json .. ',"seq":' .. seq .. '}')
  redis.call('ZADD', base .. 'e:seq', seq, id)
  redis.call('ZADD', base .. 'e:time', ts, id)
  return seq
end
`;

/**
 * readSecret: ARGV path, version|'', now, tokenId|'', eventId, timestamp, eventJson (open), limited '0'|'1',
 * allowed tiers… Replies outcome, the event's seq, then (ok) the secret's and the version's docs.
 */
const READ = `
local path, reqv, now, tok, evid, ts, evjson = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5], ARGV[6], ARGV[7]
refuseDuplicate(evid)
local allowed = {}
for i = 9, #ARGV do allowed[ARGV[i]] = true end
local outcome
if tok ~= '' then
  local tkey = base .. 'k:token:' .. tok
  local t = redis.call('HMGET', tkey, 'revokedAt', 'expiresAt', 'usesRemaining')
  if not t[2] or t[1] ~= 'null' then outcome = 'token_revoked'
  elseif tonumber(t[2]) <= now then outcome = 'token_expired'
  elseif t[3] ~= 'null' and tonumber(t[3]) <= 0 then outcome = 'token_exhausted'
  elseif t[3] ~= 'null' then
    redis.call('HINCRBY', tkey, 'usesRemaining', -1)
    redis.call('HINCRBY', tkey, '_rev', 1)
  end
end
-- One HGETALL each serves both the checks and the reply.
local skey, s, v, n = base .. 's:' .. path, {}, {}, reqv
if not outcome then
  s = hmap(skey)
  if s.currentVersion and s.trashedAt == 'null' then
    if n == '' then n = s.currentVersion end
    v = hmap(base .. 'v:' .. vid(path, n))
  end
  if not v.retiresAt then outcome = 'not_found'
  elseif ARGV[8] == '1' and not allowed[s.tier] then outcome = 'tier_exceeded'
  elseif s.expiresAt ~= 'null' and tonumber(s.expiresAt) <= now then outcome = 'expired'
  elseif v.retiresAt ~= 'null' and tonumber(v.retiresAt) <= now then outcome = 'retired'
  else outcome = 'ok' end
end
if outcome ~= 'ok' then
  return {outcome, append(evid, ts, evjson .. ',"success":false,"error":"' .. outcome .. '","version":' .. (reqv == '' and 'null' or reqv))}
end
local seq = append(evid, ts, evjson .. ',"success":true,"error":null,"version":' .. n)
redis.call('HSET', skey, 'accessedAt', ARGV[3])
s.accessedAt = ARGV[3]
return {outcome, seq, doc(s), doc(v)}
`;

/**
 * writeVersion: ARGV mode, path, version, expectedCurrent, retireAt|'', eventId, timestamp,
 * eventJson (closed by the script), nv, version fields…, ns, secret fields (create) or fields to set…
 */
const WRITE_VERSION = `
local mode, path, n, expected, retire, evid, ts, evjson = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local nv = tonumber(ARGV[9])
local vfields, sfields = {}, {}
for i = 1, nv * 2 do vfields[i] = ARGV[9 + i] end
local ns = tonumber(ARGV[10 + nv * 2])
for i = 1, ns * 2 do sfields[i] = ARGV[10 + nv * 2 + i] end
refuseDuplicate(evid)
local skey = rkey('secret', path)
local s = hmap(skey)
if mode == 'create' then
  if s._rev then return redis.error_reply('AVERR conflict') end
  put('secret', path, sfields, 1)
else
  if not s._rev or s.trashedAt ~= 'null' or tonumber(s.latestVersion) + 1 ~= tonumber(n)
    or s.currentVersion ~= expected or (mode == 'stage' and s.pendingVersion ~= 'null') then
    return redis.error_reply('AVERR conflict')
  end
  if mode == 'append' and retire ~= '' then
    local old = rkey('version', vid(path, s.currentVersion))
    if redis.call('EXISTS', old) == 1 then
      redis.call('HSET', old, 'retiresAt', retire)
      redis.call('HINCRBY', old, '_rev', 1)
    end
  end
  unindex('secret', path, s)
  redis.call('HSET', skey, unpack(sfields))
  redis.call('HINCRBY', skey, '_rev', 1)
  for i = 1, #sfields, 2 do s[sfields[i]] = sfields[i + 1] end
  index('secret', path, s)
end
put('version', vid(path, n), vfields, 1)
append(evid, ts, evjson)
return doc(hmap(skey))
`;

/**
 * commit: ARGV nWrites, then per write op, kind, id, expect ('absent' or a rev), nFields, fields…;
 * then nEvents, per event id, timestamp, eventJson (open). Replies each write's rev, or for a
 * deleted token or agent key its stored hash (for the credential index).
 */
const COMMIT = `
local i, writes, events = 2, {}, {}
for w = 1, tonumber(ARGV[1]) do
  local nf = tonumber(ARGV[i + 4])
  local fields = {}
  for j = 1, nf * 2 do fields[j] = ARGV[i + 4 + j] end
  writes[w] = {op = ARGV[i], kind = ARGV[i + 1], id = ARGV[i + 2], expect = ARGV[i + 3], fields = fields}
  i = i + 5 + nf * 2
end
for e = 1, tonumber(ARGV[i]) do
  events[e] = {ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]}
  i = i + 3
end
local revs = {}
for w, x in ipairs(writes) do
  local rev = redis.call('HGET', rkey(x.kind, x.id), '_rev')
  if (x.expect == 'absent' and rev) or (x.expect ~= 'absent' and rev ~= x.expect) then
    return redis.error_reply('AVERR conflict ' .. (w - 1))
  end
  revs[w] = rev and tonumber(rev) or 0
end
local seen = {}
for _, e in ipairs(events) do
  if seen[e[1]] then return redis.error_reply('AVERR duplicate_event') end
  seen[e[1]] = true
  refuseDuplicate(e[1])
end
local out = {}
for w, x in ipairs(writes) do
  if x.op == 'put' then
    out[w] = revs[w] + 1
    put(x.kind, x.id, x.fields, out[w])
  elseif x.op == 'delete' then
    local key = rkey(x.kind, x.id)
    local old = hmap(key)
    unindex(x.kind, x.id, old)
    redis.call('DEL', key)
    out[w] = old.hash or 0
  else
    out[w] = revs[w]
  end
end
for _, e in ipairs(events) do append(e[1], e[2], e[3]) end
return out
`;

/** getRecords: ARGV kind, id, kind, id… → each record's doc ('' when absent). */
const GET = `
local out = {}
for i = 1, #ARGV, 2 do out[#out + 1] = doc(hmap(rkey(ARGV[i], ARGV[i + 1]))) end
return out
`;

/**
 * One page of ids from the intersection of groups of index sets (each group a union), by ZRANGEBYLEX,
 * with their records. ARGV kind, count '0'|'1', low, start, high, limit, nGroups, then per group
 * n, suffixes…  Replies total (or 0), ids, then each record's doc.
 */
const PAGE = `
local kind, count, low, start, high, limit = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local i, sets, temp = 8, {}, {}
for g = 1, tonumber(ARGV[7]) do
  local n = tonumber(ARGV[i])
  if n == 1 then sets[#sets + 1] = base .. ARGV[i + 1]
  else
    local union, keys = base .. 'tmp:' .. g, {}
    for j = 1, n do keys[j] = base .. ARGV[i + j] end
    redis.call('ZUNIONSTORE', union, n, unpack(keys))
    temp[#temp + 1] = union
    sets[#sets + 1] = union
  end
  i = i + n + 1
end
local source = sets[1]
if #sets > 1 then
  source = base .. 'tmp'
  redis.call('ZINTERSTORE', source, #sets, unpack(sets))
  temp[#temp + 1] = source
end
local total = 0
if count == '1' then total = redis.call('ZLEXCOUNT', source, low, high) end
local ids = redis.call('ZRANGEBYLEX', source, start, high, 'LIMIT', 0, tonumber(limit))
if #temp > 0 then redis.call('DEL', unpack(temp)) end
local out = {total, ids}
for _, id in ipairs(ids) do out[#out + 1] = doc(hmap(rkey(kind, id))) end
return out
`;

/** Events by an audit index: ARGV suffix ('e:seq' | 'e:time'), from, to, 'REV'|'', offset, count → event JSONs. */
const EVENTS = `
local args = {base .. ARGV[1], ARGV[2], ARGV[3], 'BYSCORE'}
if ARGV[4] == 'REV' then args[#args + 1] = 'REV' end
args[#args + 1] = 'LIMIT'
args[#args + 1] = ARGV[5]
args[#args + 1] = ARGV[6]
local ids = redis.call('ZRANGE', unpack(args))
if #ids == 0 then return {} end
return redis.call('HMGET', base .. 'ev', unpack(ids))
`;

export const SCRIPT_BODIES = {
  read: READ,
  writeVersion: WRITE_VERSION,
  commit: COMMIT,
  get: GET,
  page: PAGE,
  events: EVENTS,
} as const;

export type ScriptName = keyof typeof SCRIPT_BODIES;

export const SCRIPT_SOURCES = Object.fromEntries(
  Object.entries(SCRIPT_BODIES).map(([name, body]) => [name, `${PRELUDE}\n${body}`]),
) as Record<ScriptName, string>;
