// Realistic JSON messages for the compression scenario: what a chat or a
// live dashboard pushes (objects with repeated keys, ids, timestamps, short
// sentences), not a run of one letter that any compressor shrinks to nothing.
// Deterministic (a seeded generator), distinct per message, exactly `size`
// bytes of ASCII.

const WORDS = (
  'the a to of and in is it you that he was for on are with as his they be at one have this from or had by ' +
  'word but what some we can out other were all there when up use your how said an each she which do their ' +
  'time if will way about many then them write would like so these her long make thing see him two has look ' +
  'more day could go come did number sound no most people my over know water than call first who may down ' +
  'deploy build server latency release ticket merge review queue metric alert cluster region session'
).split(' ');
const USERS = ['ana', 'bo', 'carmen', 'dmitri', 'eve', 'farid', 'gao', 'hana', 'ivan', 'jo', 'kemal', 'lena'];
const ROOMS = ['general', 'dev', 'random', 'ops', 'design'];

/** A small seeded PRNG (mulberry32): the same messages on every run and every target. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function item(rand, n) {
  const pick = (xs) => xs[Math.floor(rand() * xs.length)];
  const words = Array.from({ length: 4 + Math.floor(rand() * 12) }, () => pick(WORDS)).join(' ');
  return {
    id: 100000 + n * 7 + Math.floor(rand() * 7),
    room: pick(ROOMS),
    from: { id: `u-${Math.floor(rand() * 1e6).toString(36)}`, alias: pick(USERS) },
    text: words,
    at: new Date(Date.UTC(2026, 10, 29, 8, 0, 0) + n * 1371 + Math.floor(rand() * 1000)).toISOString(),
    reactions: rand() < 0.3 ? { '+1': Math.floor(rand() * 9) } : {},
  };
}

/**
 * Message `seq` as a JSON text of exactly `size` bytes (size >= 64):
 * `{"seq":…,"items":[…],"pad":"…"}`, as many items as fit, the rest padded.
 */
export function jsonMessage(size, seq) {
  const rand = prng(seq * 2654435761);
  const items = [];
  const shell = (pad) => JSON.stringify({ seq, items, pad });
  for (let n = 0; ; n++) {
    items.push(item(rand, seq * 1000 + n));
    if (shell('').length > size) {
      items.pop();
      break;
    }
  }
  const text = shell('x'.repeat(Math.max(0, size - shell('').length)));
  if (text.length !== size) throw new Error(`jsonMessage: ${size} bytes asked, ${text.length} built`);
  return text;
}
