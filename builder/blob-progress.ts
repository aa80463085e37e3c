import { Transform, type Readable } from 'node:stream';
import type { Descriptor } from '../oci/descriptor.js';
import type { ImageSource } from '../registry/transports/types.js';

/** Called as blob bytes are read: the blob, and how many more bytes went by. */
export type BlobBytesListener = (desc: Descriptor, bytes: number) => void;

/**
 * The same source, telling `onBytes` how far each blob read has got (for progress bars).
 * The bytes are passed through untouched; the source's own verification still applies.
 */
export function withBlobProgress(src: ImageSource, onBytes: BlobBytesListener | undefined): ImageSource {
  if (!onBytes) return src;
  return {
    name: src.name,
    ...(src.blobSource ? { blobSource: src.blobSource } : {}),
    getManifest: (digest) => src.getManifest(digest),
    close: () => src.close(),
    async getBlob(desc: Descriptor): Promise<Readable> {
      const body = await src.getBlob(desc);
      const counter = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          onBytes(desc, chunk.length);
          cb(null, chunk);
        },
      });
      body.on('error', (e) => counter.destroy(e));
      return body.pipe(counter);
    },
  };
}
