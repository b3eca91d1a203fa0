// xorshift32: a small, fast pseudo-random generator, reproducible from its
// seed, shared by the fuzz tests.
export function rng(seed) {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
  const int = (n) => next() % n;
  return { next, int, pick: (list) => list[int(list.length)], chance: (p) => next() / 0x100000000 < p };
}
