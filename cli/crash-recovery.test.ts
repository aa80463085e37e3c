import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { TrowelSandbox, TROWEL_BIN, mountsUnder } from '../test/support/trowel.js';

const t = new TrowelSandbox();
test.after(() => t.cleanup());

test('a trowel killed mid-commit leaves a store the next run uses as if nothing happened', async () => {
  const c = t.ok(['from', 'scratch']);
  const mnt = t.ok(['mount', c]);
  for (let i = 0; i < 40; i++) writeFileSync(join(mnt, `f${i}`), randomBytes(4 << 20));
  t.ok(['umount', c]);
  const child = spawn(TROWEL_BIN, ['commit', '-q', c, 'localhost/killed'], { env: { ...process.env, TROWEL_ROOT: t.root }, stdio: 'ignore' });
  const closed = new Promise((r) => child.on('close', r));
  await new Promise((r) => setTimeout(r, 150));
  child.kill('SIGKILL');
  await closed;
  // Temp files younger than a second are left alone (their writer may live in another pid namespace).
  await new Promise((r) => setTimeout(r, 1200));
  // The next run sweeps the dead process's temp files and can commit the same container.
  assert.not.match(t.ok(['images']), /localhost\/killed.*\n.*localhost\/killed/);
  const id = t.ok(['commit', '-q', c, 'localhost/after-crash']);
  assert.match(id, /^[0-9a-f]{64}$/);
  // (A `trash-` dir is an upper dir being deleted by a detached rm of the later commit.)
  assert.equal(readdirSync(join(t.root, 'tmp')).filter((n) => !n.startsWith('trash-')), [], 'temp files of the killed run are gone');
  const c2 = t.ok(['from', 'localhost/after-crash']);
  const m2 = t.ok(['mount', c2]);
  assert.is(readdirSync(m2).filter((n) => n.startsWith('f')).length, 40);
  t.ok(['umount', c2]);
  assert.equal(mountsUnder(t.root), []);
});

test.run();
