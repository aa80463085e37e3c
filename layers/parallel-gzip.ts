import { availableParallelism } from 'node:os';
import { Transform, type TransformCallback } from 'node:stream';
import * as zlib from 'node:zlib';
import { promisify } from 'node:util';

const deflateRaw = promisify(zlib.deflateRaw) as (buf: Buffer, opts: zlib.ZlibOptions) => Promise<Buffer>;

/** Bytes of history each block may refer back to (deflate's window). */
const WINDOW = 32 * 1024;

/** Options of ParallelGzip. */
export interface ParallelGzipOptions {
  /** zlib level 0-9. */
  level: number;
  /** Uncompressed bytes per block; blocks are cut at exact multiples, so output is deterministic. Default 1 MiB. */
  blockSize?: number;
  /** Blocks compressed at once on libuv's thread pool. Default: the machine's parallelism (at least 2). */
  concurrency?: number;
}

/**
 * gzip over several cores, as pigz does: the input is cut into fixed-size blocks, each block
 * is deflated on its own (primed with the previous block's last 32 KiB as dictionary, so the
 * ratio stays that of one stream) and ended with a sync flush, and the pieces are joined into
 * a single gzip member with one CRC-32. Any gzip reader reads it; the bytes depend only on
 * the input, the level and the block size, never on timing or core count.
 */
export class ParallelGzip extends Transform {
  private readonly level: number;
  private readonly blockSize: number;
  private readonly concurrency: number;
  private pending: Buffer[] = [];
  private pendingLength = 0;
  private previousTail: Buffer | undefined;
  private readonly inflight: Array<Promise<Buffer>> = [];
  private crc = 0;
  private total = 0;
  private headerSent = false;

  constructor(opts: ParallelGzipOptions) {
    super();
    this.level = opts.level;
    this.blockSize = opts.blockSize ?? 1 << 20;
    this.concurrency = Math.max(2, opts.concurrency ?? availableParallelism());
  }

  private header(): Buffer {
    // No name, mtime 0, XFL as zlib sets it for the level, OS 3 (Unix): the same as zlib.createGzip.
    const xfl = this.level === 1 ? 4 : this.level === 9 ? 2 : 0;
    return Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 3]);
  }

  private startBlock(block: Buffer, last: boolean): void {
    // A large chunk size: the convenience API otherwise returns many 16 KiB pieces to join.
    const opts: zlib.ZlibOptions = { level: this.level, chunkSize: Math.max(64 * 1024, this.blockSize + 1024) };
    if (!last) opts.finishFlush = zlib.constants.Z_SYNC_FLUSH;
    if (this.previousTail) opts.dictionary = this.previousTail;
    // The last 32 KiB of everything before the next block, which may span several small blocks.
    const history = block.length >= WINDOW || !this.previousTail ? block : Buffer.concat([this.previousTail, block]);
    this.previousTail = history.length > WINDOW ? history.subarray(history.length - WINDOW) : history;
    const job = deflateRaw(block, opts);
    job.catch(() => { /* surfaced when awaited in order */ });
    this.inflight.push(job);
  }

  private takeBlock(): Buffer {
    const all = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingLength);
    const block = all.subarray(0, this.blockSize);
    const rest = all.subarray(this.blockSize);
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingLength = rest.length;
    return block;
  }

  private async pushOldest(): Promise<void> {
    const out = await this.inflight.shift()!;
    this.push(out);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (!this.headerSent) {
      this.push(this.header());
      this.headerSent = true;
    }
    this.crc = zlib.crc32(chunk, this.crc);
    this.total += chunk.length;
    this.pending.push(chunk);
    this.pendingLength += chunk.length;
    void (async () => {
      while (this.pendingLength >= this.blockSize) {
        this.startBlock(this.takeBlock(), false);
        if (this.inflight.length >= this.concurrency) await this.pushOldest();
      }
    })().then(() => cb(), cb);
  }

  override _flush(cb: TransformCallback): void {
    if (!this.headerSent) {
      this.push(this.header());
      this.headerSent = true;
    }
    const rest = this.pending.length === 0 ? Buffer.alloc(0) : Buffer.concat(this.pending, this.pendingLength);
    this.pending = [];
    this.pendingLength = 0;
    this.startBlock(rest, true);
    void (async () => {
      while (this.inflight.length > 0) await this.pushOldest();
      const trailer = Buffer.alloc(8);
      trailer.writeUInt32LE(this.crc >>> 0, 0);
      trailer.writeUInt32LE(this.total % 2 ** 32, 4);
      this.push(trailer);
    })().then(() => cb(), cb);
  }
}
