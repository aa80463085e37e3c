import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { exposedPortKeys } from './exposed-ports.js';

// Answers taken from buildah 1.28: `EXPOSE 8000-8002 53/UDP 7/sctp` gives the keys
// `8000-8002/tcp`, `53/UDP`, `7/sctp`; `EXPOSE abc` gives `abc/tcp`.
test('a protocol is added only when missing; words are otherwise kept', () => {
  assert.equal(exposedPortKeys(['8000-8002', '53/UDP', '7/sctp', 'abc']), ['8000-8002/tcp', '53/UDP', '7/sctp', 'abc/tcp']);
});

test('duplicates collapse, first one wins the order', () => {
  assert.equal(exposedPortKeys(['80', '443', '80/tcp']), ['80/tcp', '443/tcp']);
});

test.run();
