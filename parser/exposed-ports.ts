/**
 * EXPOSE words -> image config `ExposedPorts` keys, as buildah 1.28 records them: a word without a
 * protocol gets `/tcp`; everything else (ranges, protocol case, unknown protocols) is kept as
 * written, without validation.
 */

/** Keys for `ExposedPorts` from expanded EXPOSE words, in order, without duplicates. */
export function exposedPortKeys(ports: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of ports) {
    const key = p.includes('/') ? p : `${p}/tcp`;
    if (!out.includes(key)) out.push(key);
  }
  return out;
}
