/**
 * The tar header codec: ustar headers with PAX extended records, binary-safe.
 * Encoding is deterministic (same header in, same bytes out) and uses PAX only where ustar
 * cannot say something: long or non-ASCII names, big ids/sizes/times, and xattrs.
 */
import { LayerFormatError } from './errors.js';

export const BLOCK = 512;

/** The entry types trowel reads and writes. `contiguous` files are read as `file`. */
export type TarEntryType = 'file' | 'link' | 'symlink' | 'char' | 'block' | 'directory' | 'fifo';

/** One tar entry's metadata, after PAX records have been merged in. */
export interface TarHeader {
  /** Path inside the archive as written (no normalisation): e.g. `usr/bin/`, `./etc/passwd`. */
  name: string;
  type: TarEntryType;
  /** Permission bits including setuid, setgid and sticky (mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  /** Bytes of content (files only; 0 for every other type). */
  size: number;
  /** Modification time, unix seconds (integer). */
  mtime: number;
  /** Symlink target or hardlink source name; '' for other types. */
  linkname: string;
  devmajor: number;
  devminor: number;
  /** Extended attributes from `SCHILY.xattr.*` records, values as raw bytes. */
  xattrs: Map<string, Buffer>;
}

const TYPEFLAG: Record<TarEntryType, string> = {
  file: '0', link: '1', symlink: '2', char: '3', block: '4', directory: '5', fifo: '6',
};

const MAX_OCTAL_7 = 0o7777777;
const MAX_OCTAL_11 = 0o77777777777;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** One PAX record `"<len> <key>=<value>\n"`, where len counts the whole record. */
function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

function writeString(buf: Buffer, s: string, offset: number, length: number): void {
  buf.write(s, offset, length, 'utf8');
}

function writeOctal(buf: Buffer, value: number, offset: number, length: number): void {
  // length-1 digits, then NUL: the form GNU tar and Go write.
  buf.write(value.toString(8).padStart(length - 1, '0') + '\0', offset, length, 'ascii');
}

/** Splits a name into ustar prefix (<=155) and name (<=100) at a slash, or undefined if impossible. */
function splitUstarName(name: string): { prefix: string; name: string } | undefined {
  if (!PRINTABLE_ASCII.test(name)) return undefined;
  if (name.length <= 100) return { prefix: '', name };
  for (let i = name.indexOf('/'); i !== -1 && i <= 155; i = name.indexOf('/', i + 1)) {
    const rest = name.slice(i + 1);
    if (rest.length > 0 && rest.length <= 100) return { prefix: name.slice(0, i), name: rest };
  }
  return undefined;
}

function ustarBlock(h: {
  name: string; prefix: string; mode: number; uid: number; gid: number; size: number; mtime: number;
  typeflag: string; linkname: string; devmajor: number; devminor: number;
}): Buffer {
  const buf = Buffer.alloc(BLOCK);
  writeString(buf, h.name, 0, 100);
  writeOctal(buf, h.mode, 100, 8);
  writeOctal(buf, h.uid, 108, 8);
  writeOctal(buf, h.gid, 116, 8);
  writeOctal(buf, h.size, 124, 12);
  writeOctal(buf, h.mtime, 136, 12);
  buf.write(h.typeflag, 156, 1, 'ascii');
  writeString(buf, h.linkname, 157, 100);
  buf.write('ustar\x0000', 257, 8, 'ascii');
  // uname (265) and gname (297) stay empty: names differ between hosts, ids are what count.
  writeOctal(buf, h.devmajor, 329, 8);
  writeOctal(buf, h.devminor, 337, 8);
  writeString(buf, h.prefix, 345, 155);
  buf.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of buf) sum += b;
  buf.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return buf;
}

function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/**
 * Encodes a header as bytes: a PAX header entry when needed, then the ustar header.
 * The caller writes `size` content bytes after it, then `paddingFor(size)` zero bytes.
 */
export function encodeHeader(h: TarHeader): Buffer {
  const records: Buffer[] = [];
  const split = splitUstarName(h.name);
  if (!split) records.push(paxRecord('path', Buffer.from(h.name)));
  const linkFits = h.linkname.length <= 100 && PRINTABLE_ASCII.test(h.linkname);
  if (!linkFits) records.push(paxRecord('linkpath', Buffer.from(h.linkname)));
  if (h.uid > MAX_OCTAL_7) records.push(paxRecord('uid', Buffer.from(String(h.uid))));
  if (h.gid > MAX_OCTAL_7) records.push(paxRecord('gid', Buffer.from(String(h.gid))));
  if (h.size > MAX_OCTAL_11) records.push(paxRecord('size', Buffer.from(String(h.size))));
  if (h.mtime < 0 || h.mtime > MAX_OCTAL_11) records.push(paxRecord('mtime', Buffer.from(String(h.mtime))));
  for (const key of [...h.xattrs.keys()].sort()) {
    records.push(paxRecord(`SCHILY.xattr.${key}`, h.xattrs.get(key)!));
  }
  // Sort records so the bytes never depend on the order above.
  records.sort(Buffer.compare);

  const clampId = (n: number) => (n > MAX_OCTAL_7 ? 0 : n);
  const ustar = ustarBlock({
    name: split ? split.name : truncateAscii(h.name, 100),
    prefix: split ? split.prefix : '',
    mode: h.mode & 0o7777,
    uid: clampId(h.uid),
    gid: clampId(h.gid),
    size: h.size > MAX_OCTAL_11 ? 0 : h.size,
    mtime: h.mtime < 0 || h.mtime > MAX_OCTAL_11 ? 0 : h.mtime,
    typeflag: TYPEFLAG[h.type],
    linkname: linkFits ? h.linkname : truncateAscii(h.linkname, 100),
    devmajor: h.devmajor,
    devminor: h.devminor,
  });
  if (records.length === 0) return ustar;

  const pax = Buffer.concat(records);
  const paxHeader = ustarBlock({
    name: 'PaxHeader', prefix: '', mode: 0o644, uid: 0, gid: 0, size: pax.length,
    mtime: Math.max(0, Math.min(h.mtime, MAX_OCTAL_11)),
    typeflag: 'x', linkname: '', devmajor: 0, devminor: 0,
  });
  return Buffer.concat([paxHeader, pax, Buffer.alloc(padding(pax.length)), ustar]);
}

function truncateAscii(s: string, max: number): string {
  return s.replace(/[^\x20-\x7e]/g, '_').slice(0, max);
}

/** Zero bytes that follow `size` content bytes to fill the last block. */
export function paddingFor(size: number): Buffer {
  return Buffer.alloc(padding(size));
}

/** The end-of-archive marker: two zero blocks. */
export const END_OF_ARCHIVE: Buffer = Buffer.alloc(2 * BLOCK);

/** A raw header block, before PAX/GNU long-name records are merged in: the typeflag as written, no xattrs. */
export interface RawHeader extends Omit<TarHeader, 'type' | 'xattrs'> {
  typeflag: string;
}

function readString(buf: Buffer, offset: number, length: number): string {
  const end = buf.indexOf(0, offset);
  return buf.toString('utf8', offset, end === -1 || end > offset + length ? offset + length : end);
}

function readNumber(buf: Buffer, offset: number, length: number, field: string): number {
  const first = buf[offset]!;
  if (first & 0x80) {
    // base-256 (GNU): big-endian two's complement; only non-negative values are accepted.
    if (first !== 0x80) throw new LayerFormatError(`header field ${field} is negative`);
    let n = 0;
    for (let i = offset + 1; i < offset + length; i++) n = n * 256 + buf[i]!;
    if (!Number.isSafeInteger(n)) throw new LayerFormatError(`header field ${field} is too large`);
    return n;
  }
  const text = buf.toString('ascii', offset, offset + length).replace(/[\0 ]+$/, '').replace(/^[ \0]+/, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new LayerFormatError(`header field ${field} is not octal: ${JSON.stringify(text)}`);
  return parseInt(text, 8);
}

/** True when a block is all zeros (half of the end-of-archive marker). */
export function isZeroBlock(block: Buffer): boolean {
  for (const b of block) if (b !== 0) return false;
  return true;
}

/** Decodes one 512-byte header block; throws LayerFormatError when the checksum is wrong. */
export function decodeRawHeader(block: Buffer): RawHeader {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  const stored = readNumber(block, 148, 8, 'checksum');
  if (stored !== sum) {
    // Some old tars computed the checksum over signed bytes.
    let signed = 0;
    for (let i = 0; i < BLOCK; i++) signed += i >= 148 && i < 156 ? 0x20 : (block[i]! << 24) >> 24;
    if (stored !== signed) throw new LayerFormatError('invalid tar header checksum (not a tar, or corrupted)');
  }
  let name = readString(block, 0, 100);
  const magic = block.toString('ascii', 257, 263);
  if (magic === 'ustar\0' || magic === 'ustar ') {
    const prefix = magic === 'ustar\0' ? readString(block, 345, 155) : '';
    if (prefix) name = `${prefix}/${name}`;
  }
  const typeflag = block[156] === 0 ? '0' : String.fromCharCode(block[156]!);
  return {
    name,
    typeflag,
    mode: readNumber(block, 100, 8, 'mode'),
    uid: readNumber(block, 108, 8, 'uid'),
    gid: readNumber(block, 116, 8, 'gid'),
    size: readNumber(block, 124, 12, 'size'),
    mtime: readNumber(block, 136, 12, 'mtime'),
    linkname: readString(block, 157, 100),
    devmajor: readNumber(block, 329, 8, 'devmajor'),
    devminor: readNumber(block, 337, 8, 'devminor'),
  };
}

/**
 * Parses PAX records. Keys are UTF-8; values stay raw bytes so binary xattrs survive.
 * Throws LayerFormatError on a malformed record.
 */
export function decodePaxRecords(data: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let pos = 0;
  while (pos < data.length) {
    if (data[pos] === 0) break; // some writers pad the record block with NULs
    const space = data.indexOf(0x20, pos);
    if (space === -1) throw new LayerFormatError('malformed PAX record: no length');
    const lenText = data.toString('ascii', pos, space);
    if (!/^[0-9]+$/.test(lenText)) throw new LayerFormatError(`malformed PAX record length ${JSON.stringify(lenText)}`);
    const len = parseInt(lenText, 10);
    const end = pos + len;
    if (end > data.length || len <= space - pos + 1 || data[end - 1] !== 0x0a) {
      throw new LayerFormatError('malformed PAX record: bad length');
    }
    const eq = data.indexOf(0x3d, space + 1);
    if (eq === -1 || eq >= end) throw new LayerFormatError('malformed PAX record: no "="');
    const key = data.toString('utf8', space + 1, eq);
    out.set(key, Buffer.from(data.subarray(eq + 1, end - 1)));
    pos = end;
  }
  return out;
}

/** Maps a typeflag to an entry type, or undefined for types trowel does not apply. */
export function entryTypeOf(typeflag: string): TarEntryType | undefined {
  switch (typeflag) {
    case '0': case '7': return 'file';
    case '1': return 'link';
    case '2': return 'symlink';
    case '3': return 'char';
    case '4': return 'block';
    case '5': return 'directory';
    case '6': return 'fifo';
    default: return undefined;
  }
}
