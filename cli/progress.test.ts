import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createProgress, type ProgressStream } from './progress.js';

const test = suite('progress: plain lines, bars on a terminal, nothing with -q');
const digest = `sha256:${'ab'.repeat(32)}` as const;
const desc = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest, size: 4000 };

function recorder(isTTY: boolean): ProgressStream & { text: string } {
  const r = { isTTY, text: '', write(t: string) { r.text += t; return true; } };
  return r;
}

test('not a terminal: the lines as they are, no bytes shown', () => {
  const s = recorder(false);
  const p = createProgress({ stream: s });
  p.line(`Copying blob ${digest}`);
  p.bytes(desc, 4000);
  p.line('Writing manifest to image destination');
  assert.is(s.text, `Copying blob ${digest}\nWriting manifest to image destination\n`);
});

test('quiet: nothing at all', () => {
  const s = recorder(true);
  const p = createProgress({ stream: s, quiet: true });
  p.line(`Copying blob ${digest}`);
  p.bytes(desc, 10);
  assert.is(s.text, '');
});

test('a terminal: a bar per blob that fills as bytes move, redrawn in place, then later lines below it', () => {
  const s = recorder(true);
  const p = createProgress({ stream: s });
  p.line('Getting image source signatures');
  p.line(`Copying blob ${digest}`);
  p.bytes(desc, 4000);
  p.line('Writing manifest to image destination');
  const lines = s.text.split('\n');
  assert.is(lines[0], 'Getting image source signatures');
  assert.match(s.text, /Copying blob abababababab \[>\s+\] 0 B \/ 0 B/);
  assert.match(s.text, /\x1b\[1A\x1b\[JCopying blob abababababab \[=+\] 4 kB \/ 4 kB\n/);
  assert.ok(s.text.endsWith('] 4 kB / 4 kB\nWriting manifest to image destination\n'), JSON.stringify(s.text));
});

test.run();
