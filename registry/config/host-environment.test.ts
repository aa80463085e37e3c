import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EXTRA_CA_CERTS_ENV, hostProgramEnvironment } from './host-environment.js';

test('host programs get NODE_EXTRA_CA_CERTS back in place of the hand-over', () => {
  assert.equal(hostProgramEnvironment({ PATH: '/bin', [EXTRA_CA_CERTS_ENV]: '/etc/extra.pem' }), { PATH: '/bin', NODE_EXTRA_CA_CERTS: '/etc/extra.pem' });
});

test('without a hand-over the environment is passed as it is', () => {
  const plain = { PATH: '/bin', NODE_EXTRA_CA_CERTS: '/set/by/hand.pem' };
  assert.is(hostProgramEnvironment(plain), plain);
});

test.run();
