import { Transform, type TransformCallback } from 'node:stream';
import { createHash, type Hash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { Digest } from '../oci/digest.js';

/** Bytes seen before hashing moves to a worker thread; smaller streams are hashed in place. */
const OFF_THREAD_THRESHOLD = 8 << 20;
/** Bytes handed to the worker at a time (one transfer, no copy, per batch). */
const BATCH = 4 << 20;

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const hash = require('node:crypto').createHash('sha256');
parentPort.on('message', (m) => {
  if (m === 'end') parentPort.postMessage(hash.digest('hex'));
  else {
    hash.update(new Uint8Array(m.buf, 0, m.len));
    parentPort.postMessage(m.buf, [m.buf]);
  }
});`;

/** Batches handed over and not yet hashed before the stream waits (bounds memory to 16 MiB). */
const MAX_IN_FLIGHT = 4;

/**
 * A pass-through that computes the sha256 of what flows through it, like DigestingStream, but
 * for large streams on a second thread: hashing a 300 MB layer costs the main thread about as
 * much as reading and framing it, and with two cores the two can overlap. The first 8 MiB are
 * kept back; a stream that ends before then is hashed in place (no thread is started for small
 * layers). `digest` and `size` are valid once the stream has ended.
 */
export class OffThreadDigestingStream extends Transform {
  size = 0;
  private result: Digest | undefined;
  private held: Buffer[] = [];
  private heldBytes = 0;
  private worker: Worker | undefined;
  private batch: Buffer | undefined;
  private batchUsed = 0;
  private local: Hash | undefined;
  private inFlight = 0;
  private readonly free: ArrayBuffer[] = [];
  private waiting: (() => void) | undefined;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.size += chunk.length;
    if (!this.worker) {
      // Kept beyond this call, so copied: a producer may reuse its buffers.
      this.held.push(Buffer.from(chunk));
      this.heldBytes += chunk.length;
      if (this.heldBytes >= OFF_THREAD_THRESHOLD) this.startWorker();
    } else {
      this.append(chunk);
    }
    if (this.inFlight >= MAX_IN_FLIGHT) {
      // Backpressure: the worker is behind; go on once it has caught up a batch.
      this.waiting = () => cb(null, chunk);
      return;
    }
    cb(null, chunk);
  }

  private startWorker(): void {
    this.worker = new Worker(WORKER_SOURCE, { eval: true });
    this.worker.on('message', (m: unknown) => {
      if (!(m instanceof ArrayBuffer)) return;
      // The batch comes back once hashed, to be filled again: no garbage for either thread.
      this.free.push(m);
      this.inFlight--;
      if (this.inFlight < MAX_IN_FLIGHT && this.waiting) {
        const go = this.waiting;
        this.waiting = undefined;
        go();
      }
    });
    const held = this.held;
    this.held = [];
    for (const c of held) this.append(c);
  }

  /** Copies into the current batch; full batches go to the worker (transferred, not copied). */
  private append(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (!this.batch) {
        const reused = this.free.pop();
        this.batch = reused ? Buffer.from(reused) : Buffer.allocUnsafeSlow(BATCH);
        this.batchUsed = 0;
      }
      const n = Math.min(chunk.length - offset, BATCH - this.batchUsed);
      chunk.copy(this.batch, this.batchUsed, offset, offset + n);
      this.batchUsed += n;
      offset += n;
      if (this.batchUsed === BATCH) this.send();
    }
  }

  private send(): void {
    if (!this.batch || this.batchUsed === 0) return;
    const buf = this.batch.buffer as ArrayBuffer;
    this.worker!.postMessage({ buf, len: this.batchUsed }, [buf]);
    this.inFlight++;
    this.batch = undefined;
    this.batchUsed = 0;
  }

  override _flush(cb: TransformCallback): void {
    if (!this.worker) {
      this.local = createHash('sha256');
      for (const c of this.held) this.local.update(c);
      this.held = [];
      this.result = `sha256:${this.local.digest('hex')}`;
      cb();
      return;
    }
    const worker = this.worker;
    this.send();
    const onDigest = (m: unknown) => {
      if (typeof m !== 'string') return;
      worker.off('message', onDigest);
      this.result = `sha256:${m}`;
      void worker.terminate();
      cb();
    };
    worker.on('message', onDigest);
    worker.once('error', (e) => cb(e));
    worker.postMessage('end');
  }

  override _destroy(err: Error | null, cb: (error: Error | null) => void): void {
    void this.worker?.terminate();
    cb(err);
  }

  get digest(): Digest {
    if (!this.result) throw new Error('OffThreadDigestingStream: digest read before end of stream');
    return this.result;
  }
}
