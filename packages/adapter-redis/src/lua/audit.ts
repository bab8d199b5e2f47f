/** Lua bodies of the audit operations (run after the prelude). */

export const AUDIT_SCRIPTS = {
  appendAudit: `
local e = readEvent()
assertNewEvent(e)
return { appendEvent(e, e.label) }
`,

  /**
   * Events in '<ts16>:<id>' order between two lexical bounds. The smallest of the required index
   * sets drives the walk; every other filter is a ZSCORE membership test per event walked ('any path' and 'succeeded' test
   * that the event is NOT in the small sets of pathless and of failed events).
   */
  queryAudit: `
local desc = arg() == 'desc'
local min, max = arg(), arg()
local limit = numarg()
local required, anyOf = {}, {}
for i = 1, numarg() do required[i] = K .. arg() end
for i = 1, numarg() do anyOf[i] = K .. arg() end
local noneOf = {}
for i = 1, numarg() do noneOf[i] = K .. arg() end

local drive, driveAt = K .. 'ev', 0
local smallest
for i, set in ipairs(required) do
  local size = call('ZCARD', set)
  if not smallest or size < smallest then smallest, drive, driveAt = size, set, i end
end
local function matches(m)
  for i, set in ipairs(required) do
    if i ~= driveAt and not call('ZSCORE', set, m) then return false end
  end
  if #anyOf > 0 then
    local any = false
    for _, set in ipairs(anyOf) do
      if call('ZSCORE', set, m) then any = true; break end
    end
    if not any then return false end
  end
  for _, set in ipairs(noneOf) do
    if call('ZSCORE', set, m) then return false end
  end
  return true
end

local out = {}
local batch = math.min(math.max(limit * 2, 32), 500)
while #out < limit do
  local members
  if desc then members = call('ZREVRANGEBYLEX', drive, max, min, 'LIMIT', 0, batch)
  else members = call('ZRANGEBYLEX', drive, min, max, 'LIMIT', 0, batch) end
  if #members == 0 then break end
  for _, m in ipairs(members) do
    if matches(m) then
      local id = string.sub(m, 18)
      out[#out + 1] = call('GET', P .. 'e:' .. id)
      if #out >= limit then break end
    end
  end
  local last = members[#members]
  if desc then max = '(' .. last else min = '(' .. last end
  if #members < batch then break end
end
return out
`,

  readAuditChain: `
local chain, afterSeq, limit = arg(), arg(), numarg()
local ids = call('ZRANGEBYSCORE', K .. 'ch:' .. chain, '(' .. afterSeq, '+inf', 'LIMIT', 0, limit)
local out = {}
for _, id in ipairs(ids) do
  local event = call('GET', P .. 'e:' .. id)
  if event then out[#out + 1] = event end
end
return out
`,
} as const;
