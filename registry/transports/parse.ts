import { InvalidArgumentError } from '../../oci/error.js';
import type { TransportName } from './types.js';

/** Where an image is, as the user wrote it: a transport and what follows its colon. */
export type ImageLocation =
  | { transport: 'docker'; reference: string; raw: string }
  | { transport: 'oci' | 'oci-archive' | 'docker-archive'; path: string; ref?: string; raw: string }
  | { transport: 'dir'; path: string; raw: string }
  | { transport: 'containers-storage'; reference: string; raw: string };

const TRANSPORTS: TransportName[] = ['docker', 'oci', 'oci-archive', 'docker-archive', 'dir', 'containers-storage'];

/**
 * Parses `transport:details` as buildah does. Without a known transport prefix the text is a
 * registry reference (`docker://` implied), unless `defaultTransport` says otherwise.
 */
export function parseImageLocation(input: string, defaultTransport: 'docker' | 'containers-storage' = 'docker'): ImageLocation {
  const colon = input.indexOf(':');
  const prefix = colon > 0 ? input.slice(0, colon) : '';
  if (!TRANSPORTS.includes(prefix as TransportName)) {
    return defaultTransport === 'docker' ? { transport: 'docker', reference: input, raw: input } : { transport: 'containers-storage', reference: input, raw: input };
  }
  const rest = input.slice(colon + 1);
  const transport = prefix as TransportName;
  switch (transport) {
    case 'docker': {
      if (!rest.startsWith('//') || rest.length === 2) throw new InvalidArgumentError(`parse ${JSON.stringify(input)}: expected docker://REFERENCE`);
      return { transport, reference: rest.slice(2), raw: input };
    }
    case 'containers-storage':
      return { transport, reference: rest.replace(/^\[[^\]]*\]/, ''), raw: input };
    case 'dir':
      if (rest === '') throw new InvalidArgumentError(`parse ${JSON.stringify(input)}: expected dir:PATH`);
      return { transport, path: rest, raw: input };
    case 'oci':
    case 'oci-archive':
    case 'docker-archive': {
      // The path ends at the first colon; what follows names the image inside (buildah's rule).
      const sep = rest.indexOf(':');
      const path = sep >= 0 ? rest.slice(0, sep) : rest;
      const ref = sep >= 0 ? rest.slice(sep + 1) : undefined;
      if (path === '') throw new InvalidArgumentError(`parse ${JSON.stringify(input)}: expected ${transport}:PATH[:NAME]`);
      return ref ? { transport, path, ref, raw: input } : { transport, path, raw: input };
    }
  }
}
