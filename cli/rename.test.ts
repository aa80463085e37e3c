import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TrowelSandbox } from '../test/support/trowel.js';

const t = new TrowelSandbox();
test.after(() => t.cleanup());

test('rename: a working container takes a new name, by name or id, as with buildah rename', () => {
  t.ok(['from', '--name', 'first', 'scratch']);
  t.ok(['from', '--name', 'second', 'scratch']);
  const id = t.ok(['inspect', '--format', '{{.ContainerID}}', 'first']);
  assert.is(t.ok(['rename', 'first', 'renamed']), '');
  assert.equal(t.ok(['containers', '--format', '{{.ContainerName}}']).split('\n').sort(), ['renamed', 'second']);
  t.ok(['config', '--label', 'still=works', 'renamed']);
  assert.is(t.ok(['inspect', '--format', '{{.ContainerID}}', 'renamed']), id, 'the container keeps its id');
  t.ok(['rename', id, 'by-id']);
  assert.match(t.ok(['containers', '--format', '{{.ContainerName}}']), /by-id/);
});

test('rename mistakes: one line each, nothing changed', () => {
  const cases: [string[], RegExp][] = [
    [['rename', 'by-id', 'second'], /^Error: rename container by-id: the name second is already in use by [0-9a-f]{12}\n$/],
    [['rename', 'nosuch', 'x'], /^Error: .*nosuch/],
    [['rename', 'by-id', 'by-id'], /^Error: rename container by-id: by-id is its name already\n$/],
    [['rename', 'by-id', 'bad name'], /^Error: rename container by-id to "bad name": names may contain only/],
  ];
  for (const [args, message] of cases) {
    const r = t.run(args);
    assert.is(r.code, 125, args.join(' '));
    assert.match(r.stderr, message);
    assert.is(r.stderr.split('\n').length, 2, r.stderr);
  }
  assert.equal(t.ok(['containers', '--format', '{{.ContainerName}}']).split('\n').sort(), ['by-id', 'second']);
});

test.run();
