import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeMountPath, mountsBelow } from './mounts.js';

const info = [
  '22 1 8:1 / / rw - ext4 /dev/vda rw',
  '90 22 0:50 / /tmp/s/overlay/abc/merged rw - overlay overlay rw',
  '91 22 0:51 / /tmp/s/overlay/abc/merged/proc rw - proc proc rw',
  '92 22 0:52 / /tmp/sibling/x rw - tmpfs tmpfs rw',
  '93 22 0:53 / /tmp/s/with\\040space rw - tmpfs tmpfs rw',
].join('\n');

test('lists mounts below a directory, deepest first, not its siblings', () => {
  assert.equal(mountsBelow(info, '/tmp/s'), [
    '/tmp/s/overlay/abc/merged/proc',
    '/tmp/s/overlay/abc/merged',
    '/tmp/s/with space',
  ]);
  assert.equal(mountsBelow(info, '/tmp/si'), []);
});

test('decodes octal escapes', () => {
  assert.is(decodeMountPath('/a\\040b\\011c'), '/a b\tc');
});

test.run();
