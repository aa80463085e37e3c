/**
 * The name buildah gives a new working container: `<image>-working-container`, where <image>
 * is the last path component of the image name without tag (nothing for scratch), with `-N`
 * added until it is unique.
 */
export function workingContainerName(imageName: string | undefined, taken: Set<string>): string {
  let base = 'working-container';
  if (imageName && imageName !== 'scratch') {
    const noDigest = imageName.split('@')[0]!;
    const lastPart = noDigest.slice(noDigest.lastIndexOf('/') + 1);
    const colon = lastPart.indexOf(':');
    const short = colon >= 0 ? lastPart.slice(0, colon) : lastPart;
    base = `${short}-working-container`;
  }
  if (!taken.has(base)) return base;
  for (let i = 1; ; i++) {
    const name = `${base}-${i}`;
    if (!taken.has(name)) return name;
  }
}
