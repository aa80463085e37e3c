import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InvalidArgumentError, NotImplementedError } from '../../oci/error.js';
import { hostNamespacesOf, parseNamespaceOption } from './namespace-options.js';

test('absent, empty and private mean a new namespace; host the host one', () => {
  for (const v of [undefined, '', 'private']) assert.is(parseNamespaceOption('pid', v), 'private');
  assert.is(parseNamespaceOption('ipc', 'host'), 'host');
});

test('only the kinds set to host are shared, in a fixed order', () => {
  assert.equal(hostNamespacesOf({ uts: 'host', pid: 'host', ipc: 'private' }), ['pid', 'uts']);
  assert.equal(hostNamespacesOf({}), []);
});

test('a namespace path is not supported yet; anything else is a bad value', () => {
  assert.throws(() => parseNamespaceOption('uts', '/proc/1/ns/uts'), (e: Error) => e instanceof NotImplementedError && /joining the uts namespace \/proc\/1\/ns\/uts/.test(e.message));
  assert.throws(() => parseNamespaceOption('pid', 'container:x'), (e: Error) => e instanceof InvalidArgumentError && /parse --pid "container:x"/.test(e.message));
});

test.run();
