// CRC-32C (Castagnoli), written by hand: Node 20 has no Castagnoli CRC (zlib.crc32 is the IEEE
// polynomial and arrived in Node 22), and a table-driven CRC is ~20 lines, not worth a
// dependency. `etcdctl snapshot status` reports this checksum (Go's `crc32.MakeTable(crc32.Castagnoli)`).

/** Reflected Castagnoli polynomial. */
const POLYNOMIAL = 0x82f63b78;

const TABLE: Readonly<Uint32Array> = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let bit = 0; bit < 8; bit++) c = c & 1 ? (c >>> 1) ^ POLYNOMIAL : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/**
 * CRC-32C of `data`, continuing from `previous` (the result of an earlier call, default 0 for
 * a fresh checksum), like Go's `crc32.Update`: `crc32c(b, crc32c(a))` equals `crc32c(a ++ b)`.
 * Returns an unsigned 32-bit integer.
 */
export function crc32c(data: Uint8Array, previous = 0): number {
  let crc = ~previous >>> 0;
  for (let i = 0; i < data.length; i++) crc = TABLE[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}
