import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MountError, parseRunMount } from './run-mount.js';

test('defaults to bind; aliases dst/src/ro; bare booleans', () => {
  assert.equal(parseRunMount('dst=/m,src=s,ro'), { type: 'bind', target: '/m', source: 's', readonly: true });
  assert.equal(parseRunMount('type=secret,id=t,required=false'), { type: 'secret', id: 't', required: false });
  assert.equal(parseRunMount('type=cache,target=/c,rw'), { type: 'cache', target: '/c', readonly: false });
});

test('CSV quoting lets a field hold a comma', () => {
  assert.equal(parseRunMount('type=bind,"source=a,b",target=/t'), { type: 'bind', source: 'a,b', target: '/t' });
});

test('refuses unknown keys and types, bad sharing, missing target, from on tmpfs', () => {
  for (const v of ['type=bind,target=/t,x=1', 'type=nfs,target=/t', 'type=cache,target=/t,sharing=all', 'type=cache', 'type=tmpfs,target=/t,from=a', 'target']) {
    assert.throws(() => parseRunMount(v), (e: unknown) => e instanceof MountError, v);
  }
});

test.run();
