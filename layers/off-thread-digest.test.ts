import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { OffThreadDigestingStream } from './off-thread-digest.js';

async function digestOf(chunks: Buffer[]): Promise<{ digest: string; size: number; passed: Buffer }> {
  const d = new OffThreadDigestingStream();
  const out: Buffer[] = [];
  await pipeline(Readable.from(chunks), d, new Writable({ write: (c: Buffer, _e, cb) => (out.push(c), cb()) }));
  return { digest: d.digest, size: d.size, passed: Buffer.concat(out) };
}

for (const [name, sizes] of [
  ['empty stream', []],
  ['small stream hashed in place', [1000, 5]],
  ['just under the threshold', [(8 << 20) - 1]],
  ['large stream of odd-sized chunks across batch edges', [3_000_001, 7_777_777, 65_536, 4 << 20, 12_345_678, 1]],
] as Array<[string, number[]]>) {
  test(`same sha256 as in-thread hashing: ${name}`, async () => {
    const chunks = sizes.map((n) => randomBytes(n));
    const whole = Buffer.concat(chunks);
    const r = await digestOf(chunks);
    assert.is(r.digest, `sha256:${createHash('sha256').update(whole).digest('hex')}`);
    assert.is(r.size, whole.length);
    assert.ok(r.passed.equals(whole), 'data passes through unchanged');
  });
}

test.run();
