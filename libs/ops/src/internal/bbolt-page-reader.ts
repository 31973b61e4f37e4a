import type { FileHandle } from 'node:fs/promises';
import { PAGE_HEADER_BYTES, readPageHeader, type PageHeader } from './bbolt-format';
import { snapshotInvalid } from './snapshot-invalid';

/** Options for {@link BboltPageReader}. */
export interface BboltPageReaderOptions {
  /**
   * Bytes read (and cached) at once; rounded up to a multiple of the page size. Default 256 KiB:
   * a walk reads the file nearly in order, and fewer, larger reads walk a 141 MB etcd snapshot
   * 5-10 % faster than 64 KiB ones (measured December 2026, 2-core machine).
   */
  readonly blockBytes?: number;
  /** Blocks kept in the LRU cache. Default 16 (4 MiB with the default block). */
  readonly cacheBlocks?: number;
  /** Largest page (with its overflow pages) accepted. Default 256 MiB. */
  readonly maxPageBytes?: number;
}

/**
 * Positional reads of bbolt pages from an open file, through a small LRU cache of blocks, so
 * memory stays bounded whatever the file size. Only the first `dbBytes` of the file are
 * database (a snapshot's SHA-256 trailer follows them); reads past that are refused with
 * `OPS_SNAPSHOT_INVALID`.
 *
 * Returned buffers may share memory with the cache: read them, do not keep or modify them.
 */
export class BboltPageReader {
  private readonly blockBytes: number;
  private readonly cacheBlocks: number;
  private readonly maxPageBytes: number;
  // Block index -> block, in least-recently-used first order.
  private readonly cache = new Map<number, Buffer>();

  constructor(
    private readonly handle: FileHandle,
    private readonly path: string,
    /** Bytes of the file that belong to the database. */
    readonly dbBytes: number,
    readonly pageSize: number,
    options: BboltPageReaderOptions = {},
  ) {
    const wanted = options.blockBytes ?? 256 * 1024;
    this.blockBytes = Math.max(1, Math.ceil(wanted / pageSize)) * pageSize;
    this.cacheBlocks = Math.max(1, options.cacheBlocks ?? 16);
    this.maxPageBytes = options.maxPageBytes ?? 256 * 1024 * 1024;
  }

  /** Reads exactly `length` bytes at `position` (uncached). */
  async read(position: number, length: number): Promise<Buffer> {
    if (position + length > this.dbBytes) {
      throw snapshotInvalid(this.path, `bytes ${position}..${position + length} lie past the end of the database (${this.dbBytes} bytes): the file is truncated or corrupt`);
    }
    const buffer = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.handle.read(buffer, done, length - done, position + done);
      if (bytesRead === 0) {
        throw snapshotInvalid(this.path, `the file ended at byte ${position + done} while ${this.dbBytes} were expected (it was truncated while being read)`);
      }
      done += bytesRead;
    }
    return buffer;
  }

  /** The header of page `id`. */
  async header(id: number): Promise<PageHeader> {
    const { block, offset } = await this.locate(id);
    return readPageHeader(block, offset);
  }

  /** Page `id` with its overflow pages: `(1 + overflow) * pageSize` bytes, header first. */
  async page(id: number): Promise<Buffer> {
    const { block, offset } = await this.locate(id);
    const { overflow } = readPageHeader(block, offset);
    const bytes = (overflow + 1) * this.pageSize;
    const position = id * this.pageSize;
    if (bytes > this.maxPageBytes) {
      throw snapshotInvalid(this.path, `page ${id} claims ${overflow} overflow pages (${bytes} bytes), more than the ${this.maxPageBytes} bytes accepted for one page`);
    }
    if (position + bytes > this.dbBytes) {
      throw snapshotInvalid(this.path, `page ${id} and its ${overflow} overflow pages run past the end of the database (${this.dbBytes} bytes): the file is truncated or corrupt`);
    }
    if (offset + bytes <= block.length) return block.subarray(offset, offset + bytes);
    return this.read(position, bytes);
  }

  private async locate(id: number): Promise<{ block: Buffer; offset: number }> {
    const position = id * this.pageSize;
    if (!Number.isSafeInteger(position) || position + PAGE_HEADER_BYTES > this.dbBytes) {
      throw snapshotInvalid(this.path, `page ${id} lies past the end of the database (${this.dbBytes} bytes, page size ${this.pageSize}): the file is truncated or corrupt`);
    }
    const index = Math.floor(position / this.blockBytes);
    return { block: await this.block(index), offset: position - index * this.blockBytes };
  }

  private async block(index: number): Promise<Buffer> {
    const cached = this.cache.get(index);
    if (cached) {
      this.cache.delete(index);
      this.cache.set(index, cached);
      return cached;
    }
    const start = index * this.blockBytes;
    const block = await this.read(start, Math.min(this.blockBytes, this.dbBytes - start));
    this.cache.set(index, block);
    if (this.cache.size > this.cacheBlocks) this.cache.delete(this.cache.keys().next().value!);
    return block;
  }
}
