import { spawn } from 'node:child_process';
import { Duplex, PassThrough, type Transform } from 'node:stream';
import * as zlib from 'node:zlib';
import type { Compression } from '../oci/media-types.js';
import { TrowelError } from '../oci/error.js';
import { ParallelGzip } from './parallel-gzip.js';

/** Default levels: gzip 1 (several times faster than 6 for a few % more bytes; see bench/), zstd 3. */
export const DEFAULT_LEVEL: Record<Exclude<Compression, 'none'>, number> = { gzip: 1, zstd: 3 };

/** A compressor or decompressor failed (bad data, missing zstd binary…). */
export class CompressionError extends TrowelError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('COMPRESSION', message, options);
  }
}

type ZstdZlib = {
  createZstdCompress?: (opts?: object) => Transform;
  createZstdDecompress?: (opts?: object) => Transform;
  constants: Record<string, number>;
};

/** Recognises a stream's compression from its first bytes (at least 4 for certainty). */
export function detectCompression(head: Uint8Array): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  return 'none';
}

/**
 * A stream that compresses what is written to it. gzip: zlib, in parallel blocks (output is
 * deterministic: no name, mtime 0, fixed block size). zstd: zlib when this Node has it, else the `zstd` binary on all cores. none: a pass-through.
 */
export function createCompressor(compression: Compression, level?: number): Duplex {
  switch (compression) {
    case 'none':
      return new PassThrough();
    case 'gzip':
      return createGzipCompressor(level ?? DEFAULT_LEVEL.gzip);
    case 'zstd': {
      const z = zlib as unknown as ZstdZlib;
      const lvl = level ?? DEFAULT_LEVEL.zstd;
      if (z.createZstdCompress) {
        return z.createZstdCompress({ params: { [z.constants.ZSTD_c_compressionLevel ?? 100]: lvl } });
      }
      // -T0: all cores. zstd's multi-threaded output does not depend on the thread count (and
      // input always comes through a pipe, so the unknown-size parameters are always the same).
      return processStream('zstd', ['-q', '-c', `-${lvl}`, '-T0', '--no-progress']);
    }
  }
}

/**
 * gzip on all cores (ParallelGzip) when this Node has zlib.crc32 (20.15+), else zlib's
 * single-threaded stream.
 */
function createGzipCompressor(level: number): Duplex {
  if (typeof (zlib as { crc32?: unknown }).crc32 === 'function') return new ParallelGzip({ level });
  return zlib.createGzip({ level });
}

/** A stream that decompresses what is written to it. */
export function createDecompressor(compression: Compression): Duplex {
  switch (compression) {
    case 'none':
      return new PassThrough();
    case 'gzip':
      // Larger output chunks: each chunk is one thread-pool round trip.
      return zlib.createGunzip({ chunkSize: 256 * 1024 });
    case 'zstd': {
      const z = zlib as unknown as ZstdZlib;
      if (z.createZstdDecompress) return z.createZstdDecompress();
      return processStream('zstd', ['-q', '-d', '-c', '--no-progress']);
    }
  }
}

/**
 * A child process as a Duplex: writes go to its stdin, reads come from its stdout. Ends
 * only after the process exited 0; a non-zero exit or spawn failure destroys the stream with
 * a CompressionError carrying the tool's stderr.
 */
function processStream(cmd: string, args: string[]): Duplex {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => { if (stderr.length < 4096) stderr += d; });

  const duplex = new Duplex({
    write(chunk: Buffer, _enc, cb) {
      if (child.stdin.write(chunk)) cb();
      else child.stdin.once('drain', () => cb());
    },
    final(cb) {
      child.stdin.end(cb);
    },
    read() {
      child.stdout.resume();
    },
    destroy(err, cb) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      cb(err);
    },
  });
  child.stdout.on('data', (chunk: Buffer) => {
    if (!duplex.push(chunk)) child.stdout.pause();
  });
  // EPIPE on stdin when the tool dies early: the exit status below reports the real cause.
  child.stdin.on('error', () => {});
  child.on('error', (err) => {
    duplex.destroy(new CompressionError(`run ${cmd}: ${(err as NodeJS.ErrnoException).code ?? err.message}`, { cause: err }));
  });
  child.on('close', (code, signal) => {
    if (code === 0) duplex.push(null);
    else if (!duplex.destroyed) {
      const why = stderr.trim().split('\n').pop() || (signal ? `killed by ${signal}` : `exit status ${code}`);
      duplex.destroy(new CompressionError(`${cmd} ${args.includes('-d') ? 'decompress' : 'compress'}: ${why}`));
    }
  });
  return duplex;
}
