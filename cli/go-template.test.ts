import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderGoTemplate } from './go-template.js';

const data = { OCIv1: { config: { Cmd: ['/bin/sh', '-c', 'x'], Labels: { b: '2', a: '1' } } }, Name: 'n' };

test('field paths print like Go %v', () => {
  assert.is(renderGoTemplate('{{.OCIv1.config.Cmd}}', data), '[/bin/sh -c x]');
  assert.is(renderGoTemplate('{{.OCIv1.config.Labels}}', data), 'map[a:1 b:2]');
  assert.is(renderGoTemplate('name={{.Name}}\\n', data), 'name=n\n');
});

test('json function and missing fields', () => {
  assert.is(renderGoTemplate('{{json .OCIv1.config.Cmd}}', data), '["/bin/sh","-c","x"]');
  assert.is(renderGoTemplate('{{.Nope.Deeper}}', data), '<no value>');
});

test('unsupported actions are refused by name', () => {
  assert.throws(() => renderGoTemplate('{{range .X}}', data), /unsupported action/);
  assert.throws(() => renderGoTemplate('{{.X', data), /unclosed action/);
});

test.run();
