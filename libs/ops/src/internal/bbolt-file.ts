import type { FileHandle } from 'node:fs/promises';
import { throwIfAborted } from '@etcd-patterns/etcd';
import {
  BRANCH_PAGE,
  BUCKET_HEADER_BYTES,
  BUCKET_LEAF_FLAG,
  ELEMENT_BYTES,
  FALLBACK_PAGE_SIZE,
  FIRST_READ_BYTES,
  FREELIST_PAGE,
  LEAF_PAGE,
  PAGE_HEADER_BYTES,
  pageType,
  parseMeta,
  readPageHeader,
  u64,
  type BboltMeta,
} from './bbolt-format';
import { BboltPageReader, type BboltPageReaderOptions } from './bbolt-page-reader';
import { snapshotInvalid } from './snapshot-invalid';

/** A bucket to walk: a page tree, or an inline bucket's page (a leaf inside its parent's value). */
export type BboltBucket = { readonly root: number } | { readonly inline: Buffer };

/**
 * Called for each key of a bucket, in key order. `value` is empty for a sub-bucket (Go's
 * `ForEach` passes nil) and `bucket` then describes it. The buffers are only valid during the
 * call. May return a promise, which is awaited before the walk goes on.
 */
export type BboltVisitor = (key: Buffer, value: Buffer, bucket: Buffer | undefined) => void | Promise<void>;

/** Options for {@link BboltFile.open}. */
export interface BboltFileOptions extends BboltPageReaderOptions {
  readonly signal?: AbortSignal;
}

// Page states, over page ids [0, pgid).
const UNSEEN = 0;
const IN_USE = 1;
const FREE = 2;
// B+trees of bbolt are a few levels deep; deeper means a corrupt (or cyclic) tree.
const MAX_TREE_DEPTH = 64;
const EMPTY = Buffer.alloc(0);
const pageSizeOk = (n: number): boolean => n >= 512 && n <= 1 << 20 && (n & (n - 1)) === 0;

/**
 * A read-only, checked view of a bbolt database file, for etcd snapshots.
 *
 * Opening picks the meta page as bbolt does (the valid one with the higher txid) and loads the
 * freelist. Walking ({@link forEach}) checks what bbolt's `tx.Check()` checks, and a little
 * more: every page is inside the file and below the high-water mark, is referenced once (so
 * cycles are caught), is not also free, has the expected type and a header naming its own id;
 * every element lies inside its page; keys are in strictly ascending order. After every bucket
 * has been walked, {@link assertAllPagesAccounted} checks that no page is lost.
 * Every problem is an `OPS_SNAPSHOT_INVALID` error.
 */
export class BboltFile {
  private readonly pages: Uint8Array;

  private constructor(
    private readonly reader: BboltPageReader,
    private readonly path: string,
    /** The meta page in use. */
    readonly meta: BboltMeta,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.pages = new Uint8Array(meta.pgid);
    this.pages[0] = IN_USE;
    this.pages[1] = IN_USE;
  }

  /**
   * Reads the meta pages and the freelist of the database in the first `dbBytes` bytes of
   * `handle`. The handle stays open (the caller closes it).
   * @throws {OpsError} `OPS_SNAPSHOT_INVALID`; `ABORTED`.
   */
  static async open(handle: FileHandle, path: string, dbBytes: number, options: BboltFileOptions = {}): Promise<BboltFile> {
    throwIfAborted(options.signal);
    if (dbBytes === 0) throw snapshotInvalid(path, 'the file is empty');
    if (dbBytes < FIRST_READ_BYTES) {
      throw snapshotInvalid(path, `the database is only ${dbBytes} bytes, too short for a bbolt file (two meta pages of at least 4096 bytes)`);
    }
    const probe = new BboltPageReader(handle, path, dbBytes, FALLBACK_PAGE_SIZE);
    const first = await probe.read(0, FIRST_READ_BYTES);
    // As bbolt's Open: the page size comes from meta 0 when it is valid, else the OS page size.
    const meta0 = parseMeta(first, 0);
    const pageSize = 'meta' in meta0 ? meta0.meta.pageSize : FALLBACK_PAGE_SIZE;
    if (!pageSizeOk(pageSize)) throw snapshotInvalid(path, `meta page 0 gives an impossible page size ${pageSize}`);
    if (dbBytes < 2 * pageSize) {
      throw snapshotInvalid(path, `the database is only ${dbBytes} bytes, too short for two meta pages of ${pageSize} bytes`);
    }
    const reader = new BboltPageReader(handle, path, dbBytes, pageSize, options);
    const meta1 = parseMeta(await reader.read(pageSize, PAGE_HEADER_BYTES + 64), 0);
    const valid = [meta0, meta1].flatMap((m) => ('meta' in m && m.meta.pageSize === pageSize ? [m.meta] : []));
    if (valid.length === 0) {
      const why = (m: typeof meta0): string => ('error' in m ? m.error : 'page size differs from meta 0');
      throw snapshotInvalid(path, `no valid bbolt meta page (meta 0: ${why(meta0)}; meta 1: ${why(meta1)}); it is not a bbolt database or is corrupt`);
    }
    const meta = valid.reduce((a, b) => (b.txid > a.txid ? b : a));
    const bytes = meta.pgid * pageSize;
    if (meta.pgid < 4) throw snapshotInvalid(path, `the high-water mark ${meta.pgid} leaves no room for a freelist and a root page`);
    if (bytes > dbBytes) {
      throw snapshotInvalid(path, `the database claims ${meta.pgid} pages of ${pageSize} bytes (${bytes} bytes) but the file holds ${dbBytes}: it is truncated`);
    }
    if (meta.root < 2 || meta.root >= meta.pgid) throw snapshotInvalid(path, `the root bucket page ${meta.root} is outside the database (${meta.pgid} pages)`);
    const file = new BboltFile(reader, path, meta, options.signal);
    if (meta.freelist !== undefined) await file.loadFreelist(meta.freelist);
    return file;
  }

  /** Bytes of the database as bbolt's `tx.Size()`: high-water mark × page size. */
  get sizeBytes(): number {
    return this.meta.pgid * this.meta.pageSize;
  }

  /** The root bucket, whose keys are the top-level buckets. */
  get root(): BboltBucket {
    return { root: this.meta.root };
  }

  /**
   * The bucket stored in a leaf value with the bucket flag (as passed to a {@link BboltVisitor}).
   * @throws {OpsError} `OPS_SNAPSHOT_INVALID` when the value is malformed.
   */
  bucket(value: Buffer, name: Buffer): BboltBucket {
    if (value.length < BUCKET_HEADER_BYTES) throw this.invalid(`bucket ${show(name)} has a ${value.length}-byte header (16 expected)`);
    const root = u64(value, 0);
    if (root !== 0) return { root };
    const inline = value.subarray(BUCKET_HEADER_BYTES);
    if (inline.length < PAGE_HEADER_BYTES) throw this.invalid(`inline bucket ${show(name)} is too short to hold a page`);
    return { inline };
  }

  /**
   * Calls `visit` for every key of `bucket` in key order, checking every page on the way.
   * @throws {OpsError} `OPS_SNAPSHOT_INVALID`; `ABORTED`; whatever `visit` throws.
   */
  async forEach(bucket: BboltBucket, visit: BboltVisitor): Promise<void> {
    const order: { last: Buffer | undefined } = { last: undefined };
    if ('inline' in bucket) {
      const { flags } = readPageHeader(bucket.inline);
      if (flags !== LEAF_PAGE) throw this.invalid(`an inline bucket holds a ${pageType(flags)} page (only leaf pages can be inline)`);
      await this.visitLeaf(bucket.inline, 'an inline bucket', order, visit);
      return;
    }
    await this.visitPage(bucket.root, 'a bucket root', 0, order, visit);
  }

  /**
   * After every bucket was walked: every page below the high-water mark is in use or free
   * (bbolt's "unreachable unfreed" check). Skipped when the freelist is not stored.
   * @throws {OpsError} `OPS_SNAPSHOT_INVALID`.
   */
  assertAllPagesAccounted(): void {
    if (this.meta.freelist === undefined) return;
    const lost: number[] = [];
    for (let id = 0; id < this.pages.length; id++) if (this.pages[id] === UNSEEN) lost.push(id);
    if (lost.length > 0) {
      throw this.invalid(`${lost.length} pages are neither reachable nor free (first: ${lost.slice(0, 5).join(', ')})`);
    }
  }

  private async loadFreelist(id: number): Promise<void> {
    const page = await this.claimPage(id, 'the meta page', FREELIST_PAGE);
    const { count: shortCount } = readPageHeader(page);
    // A count of 0xFFFF means the real count is the first u64 of the page body.
    let first = PAGE_HEADER_BYTES;
    let count = shortCount;
    if (shortCount === 0xffff) {
      if (page.length < first + 8) throw this.invalid(`freelist page ${id} is too short for its count`);
      count = u64(page, first);
      first += 8;
    }
    if (first + count * 8 > page.length) throw this.invalid(`freelist page ${id} lists ${count} pages, more than it can hold`);
    for (let i = 0; i < count; i++) {
      const free = u64(page, first + i * 8);
      if (free < 2 || free >= this.meta.pgid) throw this.invalid(`the freelist names page ${free}, outside the database (${this.meta.pgid} pages)`);
      if (this.pages[free] === FREE) throw this.invalid(`page ${free} is in the freelist twice`);
      if (this.pages[free] === IN_USE) throw this.invalid(`page ${free} is in use and also in the freelist`);
      this.pages[free] = FREE;
    }
  }

  /**
   * Checks and reads page `id`, referenced from `from`: in range, of type `type`, naming
   * itself, and (with its overflow pages) neither referenced before nor free. Marks it in use.
   */
  private async claimPage(id: number, from: string, ...types: number[]): Promise<Buffer> {
    throwIfAborted(this.signal);
    const pgid = this.meta.pgid;
    if (!(id >= 2 && id < pgid)) throw this.invalid(`${from} points to page ${id}, outside the database (${pgid} pages)`);
    const header = await this.reader.header(id);
    if (header.id !== id) throw this.invalid(`page ${id} has id ${header.id} in its header`);
    if (!types.includes(header.flags)) {
      throw this.invalid(`${from} points to page ${id}, a ${pageType(header.flags)} page where a ${types.map(pageType).join(' or ')} page belongs`);
    }
    if (id + header.overflow >= pgid) throw this.invalid(`page ${id} has ${header.overflow} overflow pages, past the high-water mark ${pgid}`);
    for (let p = id; p <= id + header.overflow; p++) {
      if (this.pages[p] === IN_USE) throw this.invalid(`page ${p} is referenced more than once (a cycle or a corrupt tree)`);
      if (this.pages[p] === FREE) throw this.invalid(`page ${p} is in use and also in the freelist`);
      this.pages[p] = IN_USE;
    }
    return this.reader.page(id);
  }

  private async visitPage(id: number, from: string, depth: number, order: { last: Buffer | undefined }, visit: BboltVisitor): Promise<void> {
    if (depth > MAX_TREE_DEPTH) throw this.invalid(`a bucket's tree is more than ${MAX_TREE_DEPTH} levels deep`);
    const page = await this.claimPage(id, from, BRANCH_PAGE, LEAF_PAGE);
    const { flags, count } = readPageHeader(page);
    if (flags === LEAF_PAGE) return this.visitLeaf(page, `leaf page ${id}`, order, visit);
    if (count === 0) throw this.invalid(`branch page ${id} has no elements`);
    this.checkElementArray(page, count, `branch page ${id}`);
    let previous: Buffer | undefined;
    for (let i = 0; i < count; i++) {
      const e = PAGE_HEADER_BYTES + i * ELEMENT_BYTES;
      const key = this.slice(page, e + page.readUInt32LE(e), page.readUInt32LE(e + 4), `branch page ${id} element ${i}`);
      if (previous && Buffer.compare(previous, key) >= 0) throw this.invalid(`branch page ${id} has keys out of order`);
      previous = key;
      await this.visitPage(u64(page, e + 8), `branch page ${id}`, depth + 1, order, visit);
    }
  }

  private async visitLeaf(page: Buffer, where: string, order: { last: Buffer | undefined }, visit: BboltVisitor): Promise<void> {
    const { count } = readPageHeader(page);
    this.checkElementArray(page, count, where);
    for (let i = 0; i < count; i++) {
      const e = PAGE_HEADER_BYTES + i * ELEMENT_BYTES;
      const flags = page.readUInt32LE(e);
      if (flags !== 0 && flags !== BUCKET_LEAF_FLAG) throw this.invalid(`${where} element ${i} has unknown flags 0x${flags.toString(16)}`);
      const keyStart = e + page.readUInt32LE(e + 4);
      const key = this.slice(page, keyStart, page.readUInt32LE(e + 8), `${where} element ${i}`);
      const value = this.slice(page, keyStart + key.length, page.readUInt32LE(e + 12), `${where} element ${i}`);
      if (order.last && Buffer.compare(order.last, key) >= 0) throw this.invalid(`${where} has keys out of order`);
      order.last = key;
      const result = flags === BUCKET_LEAF_FLAG ? visit(key, EMPTY, value) : visit(key, value, undefined);
      if (result) await result;
    }
  }

  private checkElementArray(page: Buffer, count: number, where: string): void {
    if (PAGE_HEADER_BYTES + count * ELEMENT_BYTES > page.length) throw this.invalid(`${where} claims ${count} elements, more than fit in it`);
  }

  private slice(page: Buffer, start: number, length: number, where: string): Buffer {
    if (start + length > page.length) throw this.invalid(`${where} points past the end of its page (bytes ${start}..${start + length} of ${page.length})`);
    return page.subarray(start, start + length);
  }

  private invalid(detail: string): Error {
    return snapshotInvalid(this.path, detail);
  }
}

/** A key for a message: printable ASCII as is, anything else as hex. */
function show(key: Buffer): string {
  const text = key.toString('latin1');
  return /^[\x20-\x7e]{1,64}$/.test(text) ? `"${text}"` : `0x${key.subarray(0, 32).toString('hex')}`;
}
