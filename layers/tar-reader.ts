import { LayerFormatError } from './errors.js';
import {
  BLOCK, decodePaxRecords, decodeRawHeader, entryTypeOf, isZeroBlock, type TarHeader,
} from './tar-header.js';

/** One entry of a tar being read. `body` yields the content; it must be consumed or ignored before the next entry. */
export interface TarEntry {
  header: TarHeader;
  body: AsyncIterable<Buffer>;
}

/** Largest PAX or GNU long-name record accepted (they are buffered in memory). */
const MAX_META_SIZE = 1 << 20;

/** Pulls exact byte counts from an async iterable of chunks. */
class ByteReader {
  private chunk: Buffer = Buffer.alloc(0);
  private done = false;

  constructor(private readonly source: AsyncIterator<Buffer>) {}

  private async fill(): Promise<boolean> {
    while (this.chunk.length === 0 && !this.done) {
      const next = await this.source.next();
      if (next.done) this.done = true;
      else this.chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value as Uint8Array);
    }
    return this.chunk.length > 0;
  }

  /** Exactly `n` bytes, or null at a clean end (no bytes left); throws when cut short. */
  async read(n: number, what: string): Promise<Buffer | null> {
    const parts: Buffer[] = [];
    let have = 0;
    while (have < n) {
      if (!(await this.fill())) {
        if (have === 0) return null;
        throw new LayerFormatError(`unexpected end of data in ${what}`);
      }
      const take = Math.min(n - have, this.chunk.length);
      parts.push(this.chunk.subarray(0, take));
      this.chunk = this.chunk.subarray(take);
      have += take;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, n);
  }

  /** Up to `n` bytes as they arrive, in pieces; throws if the data ends first. */
  async *pieces(n: number, what: string): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (!(await this.fill())) throw new LayerFormatError(`unexpected end of data in ${what}`);
      const take = Math.min(left, this.chunk.length);
      const piece = this.chunk.subarray(0, take);
      this.chunk = this.chunk.subarray(take);
      left -= take;
      yield piece;
    }
  }

  async skip(n: number, what: string): Promise<void> {
    for await (const _ of this.pieces(n, what)) { /* discard */ }
  }

  /** Reads and discards everything left (so a hash over the source covers all of it). */
  async drain(): Promise<void> {
    this.chunk = Buffer.alloc(0);
    while (!this.done) {
      const next = await this.source.next();
      if (next.done) this.done = true;
    }
  }
}

function padded(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}

function paxNumber(records: Map<string, Buffer>, key: string, entry: string): number | undefined {
  const v = records.get(key);
  if (v === undefined) return undefined;
  const text = v.toString('utf8');
  // mtime may carry a fraction ("1700000000.123"); ids and size may not.
  const m = key === 'mtime' ? /^(-?[0-9]+)(\.[0-9]*)?$/.exec(text) : /^([0-9]+)$/.exec(text);
  if (!m) throw new LayerFormatError(`PAX ${key} is not a number: ${JSON.stringify(text)}`, entry);
  const n = Number(m[1]);
  if (!Number.isSafeInteger(n)) throw new LayerFormatError(`PAX ${key} is out of range`, entry);
  return n;
}

/**
 * Reads a tar (ustar, PAX, GNU long names) from an async iterable of byte chunks, yielding one
 * entry at a time with PAX records merged into its header. After the end-of-archive marker,
 * the rest of the source is read and discarded, so a digest computed over the source covers
 * it all. Throws LayerFormatError on malformed input and on entry types trowel cannot apply.
 */
export async function* readTar(source: AsyncIterable<Buffer>): AsyncGenerator<TarEntry> {
  const reader = new ByteReader(source[Symbol.asyncIterator]());
  let globalPax = new Map<string, Buffer>();
  let pax = new Map<string, Buffer>();
  let longName: string | undefined;
  let longLink: string | undefined;

  for (;;) {
    const block = await reader.read(BLOCK, 'tar header');
    if (block === null) break; // no end marker: accepted, like GNU tar and Go do
    if (isZeroBlock(block)) {
      await reader.drain();
      break;
    }
    const raw = decodeRawHeader(block);
    const entryName = longName ?? raw.name;

    if (raw.typeflag === 'x' || raw.typeflag === 'g' || raw.typeflag === 'L' || raw.typeflag === 'K') {
      if (raw.size > MAX_META_SIZE) throw new LayerFormatError(`extended header of ${raw.size} bytes is too large`, entryName);
      const data = (await reader.read(padded(raw.size), 'extended header')) ?? Buffer.alloc(0);
      const content = data.subarray(0, raw.size);
      if (raw.typeflag === 'x') pax = new Map([...pax, ...decodePaxRecords(content)]);
      else if (raw.typeflag === 'g') globalPax = new Map([...globalPax, ...decodePaxRecords(content)]);
      else {
        const nul = content.indexOf(0);
        const text = content.toString('utf8', 0, nul === -1 ? content.length : nul);
        if (raw.typeflag === 'L') longName = text;
        else longLink = text;
      }
      continue;
    }

    const records = new Map([...globalPax, ...pax]);
    pax = new Map();
    const name = records.get('path')?.toString('utf8') ?? longName ?? raw.name;
    const linkname = records.get('linkpath')?.toString('utf8') ?? longLink ?? raw.linkname;
    longName = undefined;
    longLink = undefined;

    const type = entryTypeOf(raw.typeflag);
    if (type === undefined) {
      throw new LayerFormatError(`unsupported tar entry type ${JSON.stringify(raw.typeflag)}`, name);
    }
    const size = paxNumber(records, 'size', name) ?? raw.size;
    const xattrs = new Map<string, Buffer>();
    for (const [key, value] of records) {
      if (key.startsWith('SCHILY.xattr.')) xattrs.set(key.slice('SCHILY.xattr.'.length), value);
    }
    const header: TarHeader = {
      name,
      type,
      mode: raw.mode & 0o7777,
      uid: paxNumber(records, 'uid', name) ?? raw.uid,
      gid: paxNumber(records, 'gid', name) ?? raw.gid,
      // Hardlinks, symlinks, devices and dirs have no body even if a writer filled in size.
      size: type === 'file' ? size : 0,
      mtime: paxNumber(records, 'mtime', name) ?? raw.mtime,
      linkname,
      devmajor: raw.devmajor,
      devminor: raw.devminor,
      xattrs,
    };
    // Like GNU tar and Go, only regular files carry data; other types' size fields are ignored.
    const dataSize = header.size;
    let consumed = 0;
    const body: AsyncIterable<Buffer> = {
      [Symbol.asyncIterator]: async function* () {
        if (consumed !== 0) throw new Error(`tar entry ${name}: body read twice`);
        for await (const piece of reader.pieces(header.size, `content of ${name}`)) {
          consumed += piece.length;
          yield piece;
        }
      },
    };
    yield { header, body };
    await reader.skip(padded(dataSize) - consumed, `content of ${name}`);
  }
}
