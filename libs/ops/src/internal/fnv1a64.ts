// FNV-1a 64, written by hand: bbolt checksums its meta pages with Go's `hash/fnv` New64a, Node
// has no FNV, and the algorithm is a few lines (only the two 56-byte meta pages are hashed, so
// BigInt arithmetic is fast enough).

const OFFSET_BASIS = 0xcbf29ce484222325n;
const PRIME = 0x100000001b3n;
const MASK = 0xffffffffffffffffn;

/** FNV-1a 64-bit hash of `data`, as an unsigned 64-bit bigint. */
export function fnv1a64(data: Uint8Array): bigint {
  let hash = OFFSET_BASIS;
  for (let i = 0; i < data.length; i++) hash = ((hash ^ BigInt(data[i]!)) * PRIME) & MASK;
  return hash;
}
