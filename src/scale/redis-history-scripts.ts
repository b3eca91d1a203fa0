// The Lua scripts of RedisHistory (./redis-history.ts). A script runs
// atomically in Redis (no other command runs between its calls), which is
// what makes "next offset, append, trim, publish" one step for every node
// sharing the store, and "check the holder, then change the record" free of
// races. Redis 6.0 or later (nothing of 6.2: no XTRIM MINID, no exclusive
// ranges). Scripts return strings only (numbers are rendered here), so both
// client libraries give the same reply.
//
// Keys: a stream `h:<name>` (a Redis Stream, auto ids, so an entry's id is
// the Redis clock at append: `<ms>-<seq>`) with the fields `o` (offset),
// `q` (the store's sequence `q`, one counter over every stream: the order
// of appends across streams),
// `t` (the text with its pos) and, for a push that leaves a session out,
// `x` (that session's id); its meta `m:<name>`, a hash {e: epoch, o: last
// offset}; a session's record `s:<id>`, a hash {node, state, hash,
// expires, j: JSON of the rest}.

import { createHash } from 'node:crypto';

/** A script and its SHA-1, the name EVALSHA runs it by. */
export interface Script {
  readonly body: string;
  readonly sha: string;
  /**
   * Appends, whose order is the order of the calls: always sent with their
   * body (EVAL; Redis still compiles a body once and finds it by its SHA-1).
   * With EVALSHA, a call refused NOSCRIPT (a script cache emptied by a
   * restart or SCRIPT FLUSH) would run again after calls sent behind it.
   */
  readonly ordered: boolean;
}

function script(body: string, ordered = false): Script {
  return { body, sha: createHash('sha1').update(body).digest('hex'), ordered };
}

// string.format('%d') renders integers: Lua 5.1 numbers are doubles, and
// concatenating one prints 1e+15 style past 14 digits.
//
// append(KEYS[1] stream, KEYS[2] meta, ARGV from `at`: candidate epoch,
// text (a JSON object's text), JSON of the stream name, except ('' none,
// else '=' .. id), maxMessages, maxAge ms, meta TTL ms) -> offset, epoch, id.
// MAXLEN is exact: the limit is a number of entries per stream, as in the
// memory store (`~` would let a stream keep up to a macro node, 100 entries
// by default, more than asked). Trimming one entry per append is O(1).
// Age: the entries whose id (their append time) is maxAge or more before
// this one's are deleted from the front, at most AGE_BATCH per append (a
// bounded step; since() treats the old ones left as gone, and MAXLEN bounds
// them meanwhile); the stream key itself expires maxAge
// after its last append (all of it is past the age by then), the meta after
// the meta TTL (a quiet stream keeps its epoch, and its clients' positions
// stay valid, that long).
const AGE_BATCH = 100;
const APPEND = `
local function append(skey, mkey, qkey, at)
  local e = redis.call('HGET', mkey, 'e')
  if not e then
    e = ARGV[at]
    redis.call('HSET', mkey, 'e', e, 'o', '0')
  end
  local o = string.format('%d', redis.call('HINCRBY', mkey, 'o', 1))
  local text = ARGV[at + 1]
  local full = string.sub(text, 1, -2) .. ',"pos":{"s":' .. ARGV[at + 2] .. ',"e":"' .. e .. '","o":' .. o .. '}}'
  local except = ARGV[at + 3]
  -- One order over every stream of the store: gaps of several streams merge by it.
  local q = string.format('%d', redis.call('INCR', qkey))
  local id
  if except == '' then
    id = redis.call('XADD', skey, 'MAXLEN', ARGV[at + 4], '*', 'o', o, 'q', q, 't', full)
  else
    id = redis.call('XADD', skey, 'MAXLEN', ARGV[at + 4], '*', 'o', o, 'q', q, 't', full, 'x', string.sub(except, 2))
  end
  local before = tonumber(string.match(id, '^(%d+)')) - tonumber(ARGV[at + 5])
  if before >= 0 then
    local old = redis.call('XRANGE', skey, '-', string.format('%d', before), 'COUNT', '${AGE_BATCH}')
    if #old > 0 then
      local ids = {}
      for i = 1, #old do ids[i] = old[i][1] end
      redis.call('XDEL', skey, unpack(ids))
    end
  end
  redis.call('PEXPIRE', skey, ARGV[at + 5])
  redis.call('PEXPIRE', mkey, ARGV[at + 6])
  return o, e, id, full, q
end
`;

/** KEYS: stream, meta, sequence. ARGV: channel, head, then append's. Publishes `head .. offset .. "\n" .. text`. */
export const PUBLISH = script(`${APPEND}
local o, e, id, full = append(KEYS[1], KEYS[2], KEYS[3], 3)
redis.call('PUBLISH', ARGV[1], ARGV[2] .. o .. '\\n' .. full)
return o
`, true);

/** KEYS: stream, meta, record, sequence. ARGV: node, then append's. -> nil unless the record names the node, else offset, epoch, id, text, sequence. */
export const APPEND_OWNED = script(`${APPEND}
if redis.call('HGET', KEYS[3], 'node') ~= ARGV[1] then return false end
local o, e, id, full, q = append(KEYS[1], KEYS[2], KEYS[4], 2)
return {o, e, id, full, q}
`, true);

/** KEYS: meta. ARGV: candidate epoch, meta TTL. -> epoch, last offset. */
export const POSITION = script(`
redis.call('HSETNX', KEYS[1], 'e', ARGV[1])
redis.call('HSETNX', KEYS[1], 'o', '0')
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return redis.call('HMGET', KEYS[1], 'e', 'o')
`);

// since: read only. The entries after offset `from` are the newest
// `last - from` of the stream (offsets are consecutive and only the oldest
// leave), so XREVRANGE + - COUNT n reads them newest first; they are all
// there when n came back and the oldest of them is `from + 1`. An entry of
// maxAge or more counts as gone even before an append trims it.
/** KEYS: stream, meta. ARGV: epoch, from, maxMessages, maxAge. -> nil, or flat [id, offset, except ('' none, '=' .. id), text, sequence]... oldest first. */
export const SINCE = script(`
local m = redis.call('HMGET', KEYS[2], 'e', 'o')
if not m[1] or m[1] ~= ARGV[1] then return false end
local last = tonumber(m[2])
local from = tonumber(ARGV[2])
if not last or not from or from > last or from < 0 then return false end
if from == last then return {} end
local n = last - from
if n > tonumber(ARGV[3]) then return false end
local r = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', string.format('%d', n))
if #r ~= n then return false end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {}
for i = n, 1, -1 do
  local id = r[i][1]
  local f = r[i][2]
  local o, x, text, q = nil, '', nil, '0'
  for k = 1, #f, 2 do
    if f[k] == 'o' then o = f[k + 1] elseif f[k] == 't' then text = f[k + 1] elseif f[k] == 'x' then x = '=' .. f[k + 1] elseif f[k] == 'q' then q = f[k + 1] end
  end
  if not o or not text then return false end
  if i == n then
    if tonumber(o) ~= from + 1 then return false end
    if tonumber(string.match(id, '^(%d+)')) <= now - tonumber(ARGV[4]) then return false end
  end
  out[#out + 1] = id
  out[#out + 1] = o
  out[#out + 1] = x
  out[#out + 1] = text
  out[#out + 1] = q
end
return out
`);

/** KEYS: record. ARGV: ttl, node, state, hash, expires, JSON of the rest. */
export const SAVE = script(`
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'node', ARGV[2], 'state', ARGV[3], 'hash', ARGV[4], 'expires', ARGV[5], 'j', ARGV[6])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 'OK'
`);

/** KEYS: record. ARGV: hash, node, now. -> nil, or the record as it was: node, state, hash, expires, j. */
export const CLAIM = script(`
local r = redis.call('HMGET', KEYS[1], 'node', 'state', 'hash', 'expires', 'j')
if not r[1] or not r[5] or r[3] ~= ARGV[1] then return false end
if r[2] == 'retained' and tonumber(r[4]) <= tonumber(ARGV[3]) then return false end
redis.call('HSET', KEYS[1], 'node', ARGV[2], 'state', 'claimed')
return r
`);

/** KEYS: record, the session's stream, its meta. ARGV: node. -> '1' deleted, '0' held elsewhere or gone. */
export const FINISH = script(`
if redis.call('HGET', KEYS[1], 'node') ~= ARGV[1] then return '0' end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return '1'
`);
