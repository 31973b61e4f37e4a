// The parts of bbolt's on-disk format (go.etcd.io/bbolt 1.3.x, page.go / db.go) a read-only
// reader needs. Everything is little-endian; offsets are into a page, which starts with a
// 16-byte header.
import { fnv1a64 } from './fnv1a64';

/** Page header: id u64, flags u16, count u16, overflow u32. */
export const PAGE_HEADER_BYTES = 16;
/** Branch elements (pos u32, ksize u32, pgid u64) and leaf elements (flags, pos, ksize, vsize u32) are both 16 bytes. */
export const ELEMENT_BYTES = 16;
/** A bucket value starts with root pgid u64 and sequence u64; an inline bucket's page follows. */
export const BUCKET_HEADER_BYTES = 16;

/** Page flag of a branch page (keys and child page ids). */
export const BRANCH_PAGE = 0x01;
/** Page flag of a leaf page (keys and values). */
export const LEAF_PAGE = 0x02;
/** Page flag of a meta page (pages 0 and 1). */
export const META_PAGE = 0x04;
/** Page flag of the freelist page. */
export const FREELIST_PAGE = 0x10;
/** Leaf element flag of a sub-bucket. */
export const BUCKET_LEAF_FLAG = 0x01;

/** Magic number at the start of a meta page's fields. */
export const META_MAGIC = 0xed0cdaed;
/** The only data format version bbolt writes. */
export const META_VERSION = 2;
/** Bytes of a meta page's fields covered by its checksum (everything before the checksum). */
const META_CHECKSUMMED_BYTES = 56;
/** Bytes bbolt reads at offset 0 to learn the page size (`[0x1000]byte` in `Open`). */
export const FIRST_READ_BYTES = 0x1000;
/** The page size bbolt assumes when meta page 0 is unreadable (the OS page size on Linux/amd64). */
export const FALLBACK_PAGE_SIZE = 4096;
/** Meta `freelist` value when the freelist is not stored (`NoFreelistSync`). */
const NO_FREELIST = 0xffffffffffffffffn;

/** A page header. */
export interface PageHeader {
  readonly id: number;
  readonly flags: number;
  readonly count: number;
  readonly overflow: number;
}

/** The fields of a valid meta page. */
export interface BboltMeta {
  readonly pageSize: number;
  readonly flags: number;
  /** Root page of the root bucket (the bucket of buckets). */
  readonly root: number;
  /** Freelist page, or undefined when the freelist is not stored. */
  readonly freelist: number | undefined;
  /** High-water mark: the id of the next page bbolt would allocate. */
  readonly pgid: number;
  readonly txid: bigint;
}

/**
 * A u64 as a number. Values beyond 2^53 lose precision, but every caller compares them with
 * bounds far below that (page ids within the file), so they are refused either way.
 */
export function u64(buf: Buffer, offset: number): number {
  return Number(buf.readBigUInt64LE(offset));
}

/** Reads the header at `offset` of `buf`. */
export function readPageHeader(buf: Buffer, offset = 0): PageHeader {
  return {
    id: u64(buf, offset),
    flags: buf.readUInt16LE(offset + 8),
    count: buf.readUInt16LE(offset + 10),
    overflow: buf.readUInt32LE(offset + 12),
  };
}

/** Human name of a page type, for messages. */
export function pageType(flags: number): string {
  if (flags === BRANCH_PAGE) return 'branch';
  if (flags === LEAF_PAGE) return 'leaf';
  if (flags === META_PAGE) return 'meta';
  if (flags === FREELIST_PAGE) return 'freelist';
  return `unknown (flags 0x${flags.toString(16)})`;
}

/**
 * Parses the meta page that starts at `offset` of `buf` and validates it as bbolt's
 * `meta.validate` does: magic, version, and the FNV-1a 64 checksum of the fields before it (a
 * checksum of 0 is accepted, as bbolt accepts it). Returns the meta, or why it is invalid.
 */
export function parseMeta(buf: Buffer, offset: number): { meta: BboltMeta } | { error: string } {
  const m = offset + PAGE_HEADER_BYTES;
  if (buf.length < m + META_CHECKSUMMED_BYTES + 8) return { error: 'too short' };
  const magic = buf.readUInt32LE(m);
  if (magic !== META_MAGIC) return { error: `bad magic 0x${magic.toString(16)} (a bbolt file has 0x${META_MAGIC.toString(16)})` };
  const version = buf.readUInt32LE(m + 4);
  if (version !== META_VERSION) return { error: `unsupported version ${version}` };
  const checksum = buf.readBigUInt64LE(m + META_CHECKSUMMED_BYTES);
  if (checksum !== 0n && checksum !== fnv1a64(buf.subarray(m, m + META_CHECKSUMMED_BYTES))) return { error: 'checksum mismatch' };
  const freelist = buf.readBigUInt64LE(m + 32);
  return {
    meta: {
      pageSize: buf.readUInt32LE(m + 8),
      flags: buf.readUInt32LE(m + 12),
      root: u64(buf, m + 16),
      freelist: freelist === NO_FREELIST ? undefined : Number(freelist),
      pgid: u64(buf, m + 40),
      txid: buf.readBigUInt64LE(m + 48),
    },
  };
}
