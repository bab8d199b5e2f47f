/** Lua bodies of the agent-key, token and approval operations (run after the prelude). */

export const ACCESS_SCRIPTS = {
  createAgentKey: `
local id, hash, createdAt = arg(), arg(), arg()
local fields = { 'rec', arg() }
local revoked = optarg()
local e = readEvent()
if call('EXISTS', K .. 'key:' .. id) == 1 or call('EXISTS', P .. 'kh:' .. hash) == 1 then
  fail('conflict', 'agent key')
end
assertNewEvent(e)
call('HSET', K .. 'key:' .. id, unpack(fields))
if revoked then call('HSET', K .. 'key:' .. id, 'rev', revoked) end
call('SET', P .. 'kh:' .. hash, T .. '\\0' .. id)
call('ZADD', K .. 'keys', createdAt, id)
return { appendEvent(e, e.label) }
`,

  /** A record found through a store-wide hash index (agent keys: 'kh', tokens: 'th'). */
  findByHash: `
local index, kind = arg(), arg()
local ref = call('GET', P .. index .. ':' .. arg())
if not ref then return {} end
local sep = string.find(ref, '\\0', 1, true)
local tenant = string.sub(ref, 1, sep - 1)
return { tenant, call('HGETALL', P .. 't:' .. tenant .. ':' .. kind .. ':' .. string.sub(ref, sep + 1)) }
`,

  listAgentKeys: `
local out = {}
for _, id in ipairs(call('ZRANGE', K .. 'keys', 0, -1)) do out[#out + 1] = call('HGETALL', K .. 'key:' .. id) end
return out
`,

  /** Revoke an agent key ('key') or a token ('tok'): revokedAt is kept if already set. */
  revoke: `
local kind, id, now = arg(), arg(), arg()
local e = readEvent()
local key = K .. kind .. ':' .. id
if call('EXISTS', key) == 0 then fail('not_found', kind) end
assertNewEvent(e)
call('HSETNX', key, 'rev', now)
local head = appendEvent(e, e.label)
return { head, call('HGETALL', key) }
`,

  createToken: `
local t = readToken()
local e = readEvent()
assertNewToken(t)
if t.parent then
  local parent = call('HMGET', tokenKey(t.parent), 'exp', 'rev')
  if not parent[1] or parent[2] then fail('auth', 'parent revoked') end
end
assertNewEvent(e)
storeToken(t)
return { appendEvent(e, e.label) }
`,

  useToken: `
local id, now = arg(), numarg()
local outcome = tokenUse(id, now)
if outcome ~= 'ok' then return { outcome } end
return { outcome, call('HGETALL', tokenKey(id)) }
`,

  listTokens: `
local parent, activeAt, after = optarg(), optarg(), optarg()
local limit = numarg()
local set = parent and (K .. 'tokc:' .. parent) or (K .. 'toks')
local now = activeAt and tonumber(activeAt)
local min = after and ('(' .. after) or '-'
local out = {}
while #out < limit do
  local ids = call('ZRANGEBYLEX', set, min, '+', 'LIMIT', 0, math.max(limit, 50))
  if #ids == 0 then break end
  for _, id in ipairs(ids) do
    local keep = true
    if now then
      local f = call('HMGET', tokenKey(id), 'exp', 'uses', 'rev')
      keep = f[1] and not f[3] and tonumber(f[1]) > now and (not f[2] or tonumber(f[2]) > 0)
    end
    if keep then
      out[#out + 1] = call('HGETALL', tokenKey(id))
      if #out >= limit then break end
    end
    min = '(' .. id
  end
end
return out
`,

  createApproval: `
local id, status = arg(), arg()
local sets = readPatch()
local e = readEvent()
local key = K .. 'apr:' .. id
if call('EXISTS', key) == 1 then fail('conflict', 'approval') end
assertNewEvent(e)
call('HSET', key, unpack(sets))
call('ZADD', K .. 'aprs', 0, id)
call('ZADD', K .. 'aprs:' .. status, 0, id)
if status == 'pending' then call('ZADD', APPROVAL_INDEX, call('HGET', key, 'exp'), T .. '\\0' .. id) end
return { appendEvent(e, e.label) }
`,

  decideApproval: `
local id, by, decision, kind, now = arg(), arg(), arg(), arg(), numarg()
local e = readEvent()
local key = K .. 'apr:' .. id
local f = call('HMGET', key, 'status', 'exp', 'req', 'dec')
if not f[1] then fail('not_found', 'approval') end
if f[1] ~= 'pending' then fail('conflict', f[1]) end
if tonumber(f[2]) <= now then fail('conflict', 'expired') end
if call('HEXISTS', key, 'by:' .. by) == 1 then fail('conflict', 'decided') end
assertNewEvent(e)
call('HSET', key, 'dec', f[4] and (f[4] .. '\\n' .. decision) or decision, 'by:' .. by, kind)
local status = 'pending'
if kind == 'deny' then
  status = 'denied'
elseif call('HINCRBY', key, 'napp', 1) >= tonumber(f[3]) then
  status = 'approved'
end
if status ~= 'pending' then
  call('HSET', key, 'status', status, 'decidedAt', now)
  call('ZREM', K .. 'aprs:pending', id)
  call('ZADD', K .. 'aprs:' .. status, 0, id)
  call('ZREM', APPROVAL_INDEX, T .. '\\0' .. id)
end
local head = appendEvent(e, e.label)
return { head, call('HGETALL', key) }
`,

  claimApproval: `
local id, now = arg(), arg()
local t = readToken()
local e = readEvent()
local key = K .. 'apr:' .. id
local f = call('HMGET', key, 'status', 'claimedAt')
if not f[1] then fail('not_found', 'approval') end
if f[1] ~= 'approved' then fail('conflict', f[1]) end
if f[2] then fail('conflict', 'claimed') end
assertNewToken(t)
assertNewEvent(e)
call('HSET', key, 'claimedAt', now, 'tokenId', t.id)
storeToken(t)
local head = appendEvent(e, e.label)
return { head, call('HGETALL', key) }
`,

  /** A pending request past its deadline becomes expired. */
  expireApproval: `
local id, now = arg(), numarg()
local e = readEvent()
local key = K .. 'apr:' .. id
local f = call('HMGET', key, 'status', 'exp')
if not f[1] then fail('not_found', 'approval') end
if f[1] ~= 'pending' or tonumber(f[2]) > now then fail('conflict', 'not pending past its deadline') end
assertNewEvent(e)
call('HSET', key, 'status', 'expired')
call('ZREM', K .. 'aprs:pending', id)
call('ZADD', K .. 'aprs:expired', 0, id)
call('ZREM', APPROVAL_INDEX, T .. '\\0' .. id)
local head = appendEvent(e, e.label)
return { head, call('HGETALL', key) }
`,

  /** Pending requests of every tenant past their deadline, from the store-wide deadline index. */
  listExpiredApprovals: `
local now, limit = arg(), numarg()
local out = {}
for i, member in ipairs(call('ZRANGEBYSCORE', APPROVAL_INDEX, '-inf', now, 'LIMIT', 0, limit)) do
  local tenant, id = splitMember(member)
  out[i] = call('HGETALL', P .. 't:' .. tenant .. ':apr:' .. id)
end
return out
`,

  listApprovals: `
local status, after = optarg(), optarg()
local limit = numarg()
local set = status and (K .. 'aprs:' .. status) or (K .. 'aprs')
local out = {}
local ids = call('ZRANGEBYLEX', set, after and ('(' .. after) or '-', '+', 'LIMIT', 0, limit)
for i, id in ipairs(ids) do out[i] = call('HGETALL', K .. 'apr:' .. id) end
return out
`,
} as const;
