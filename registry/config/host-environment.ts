/**
 * Where `bin/trowel` hands over `NODE_EXTRA_CA_CERTS`. Node loads that file, and its whole
 * bundled root store with it, before any JavaScript runs (about 30 ms); the launcher moves the
 * variable here so that only connections which verify a TLS peer pay for it
 * (`registry/distribution/trust.ts`).
 */
export const EXTRA_CA_CERTS_ENV = 'TROWEL_EXTRA_CA_CERTS';

/**
 * The environment for programs trowel starts on the host on the user's behalf (credential
 * helpers, `trowel unshare CMD`): `NODE_EXTRA_CA_CERTS` restored as the user set it.
 */
export function hostProgramEnvironment(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const file = env[EXTRA_CA_CERTS_ENV];
  if (!file) return env;
  const { [EXTRA_CA_CERTS_ENV]: _handedOver, ...rest } = env;
  return { ...rest, NODE_EXTRA_CA_CERTS: file };
}
