/**
 * SHA-256 in Lua 5.1 on Redis's `bit` library (Redis has no SHA-256 built in). Defines
 * `sha256hex(message)` and `fromhex(hex)` for the scripts that link audit events. The round
 * constants are built on first use: most script runs never hash (the client predicted the link). Values are kept
 * as signed 32-bit numbers (`bit.tobit`); every bit operation normalises its inputs modulo 2^32,
 * so sums only need `tobit` where they feed the next round.
 */
export const SHA256_LUA = `
local band, bor, bxor, ror, rshift, tobit = bit.band, bit.bor, bit.bxor, bit.ror, bit.rshift, bit.tobit
local sbyte, schar, srep, sfmt = string.byte, string.char, string.rep, string.format
local SHA_K
local function shaConstants()
  return {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
  }
end

local function sha256hex(msg)
  SHA_K = SHA_K or shaConstants()
  local len = #msg
  local bits = len * 8
  -- Padding: 0x80, zeros to 56 mod 64, then the bit length as a 64-bit big-endian number.
  msg = msg .. '\\128' .. srep('\\0', (55 - len) % 64)
    .. schar(0, 0, band(math.floor(bits / 2^40), 255), band(math.floor(bits / 2^32), 255),
      band(rshift(bits, 24), 255), band(rshift(bits, 16), 255), band(rshift(bits, 8), 255), band(bits, 255))
  local h0, h1, h2, h3 = 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a
  local h4, h5, h6, h7 = 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
  local w = {}
  for off = 1, #msg, 64 do
    for i = 1, 16 do
      local p = off + (i - 1) * 4
      local b1, b2, b3, b4 = sbyte(msg, p, p + 3)
      w[i] = b1 * 16777216 + b2 * 65536 + b3 * 256 + b4
    end
    for i = 17, 64 do
      local x, y = w[i - 15], w[i - 2]
      w[i] = tobit(w[i - 16] + bxor(ror(x, 7), ror(x, 18), rshift(x, 3))
        + w[i - 7] + bxor(ror(y, 17), ror(y, 19), rshift(y, 10)))
    end
    local a, b, c, d, e, f, g, h = h0, h1, h2, h3, h4, h5, h6, h7
    for i = 1, 64 do
      local t1 = h + bxor(ror(e, 6), ror(e, 11), ror(e, 25)) + bxor(g, band(e, bxor(f, g))) + SHA_K[i] + w[i]
      local t2 = bxor(ror(a, 2), ror(a, 13), ror(a, 22)) + bor(band(a, b), band(c, bor(a, b)))
      h = g; g = f; f = e; e = tobit(d + t1); d = c; c = b; b = a; a = tobit(t1 + t2)
    end
    h0 = tobit(h0 + a); h1 = tobit(h1 + b); h2 = tobit(h2 + c); h3 = tobit(h3 + d)
    h4 = tobit(h4 + e); h5 = tobit(h5 + f); h6 = tobit(h6 + g); h7 = tobit(h7 + h)
  end
  return sfmt('%08x%08x%08x%08x%08x%08x%08x%08x', h0 % 4294967296, h1 % 4294967296, h2 % 4294967296,
    h3 % 4294967296, h4 % 4294967296, h5 % 4294967296, h6 % 4294967296, h7 % 4294967296)
end

local function fromhex(hex)
  return (string.gsub(hex, '..', function(pair) return schar(tonumber(pair, 16)) end))
end
`;
