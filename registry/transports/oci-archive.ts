import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Descriptor } from '../../oci/descriptor.js';
import type { Digest } from '../../oci/digest.js';
import { OciLayoutDestination, OciLayoutSource } from './oci-layout.js';
import { extractArchive, packArchive } from './tar-dir.js';
import type { ImageDestination, ImageSource, ManifestBlob } from './types.js';

function scratchDir(): string {
  return mkdtempSync(join(process.env.TMPDIR || tmpdir(), 'trowel-archive-'));
}

/** Reads an `oci-archive:` (a tar of an OCI layout) by extracting it to a temp dir first. */
export class OciArchiveSource implements ImageSource {
  private constructor(private readonly dir: string, private readonly layout: OciLayoutSource, readonly name: string) {}

  static async open(file: string, ref: string | undefined, name: string): Promise<OciArchiveSource> {
    const dir = scratchDir();
    try {
      await extractArchive(file, dir, name);
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
    return new OciArchiveSource(dir, new OciLayoutSource(dir, ref, name), name);
  }

  getManifest(digest?: Digest): Promise<ManifestBlob> {
    return this.layout.getManifest(digest);
  }

  getBlob(desc: Descriptor): Promise<Readable> {
    return this.layout.getBlob(desc);
  }

  async close(): Promise<void> {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Writes an `oci-archive:`: an OCI layout built in a temp dir, packed to the file at commit. */
export class OciArchiveDestination implements ImageDestination {
  private readonly dir = scratchDir();
  private readonly layout: OciLayoutDestination;

  constructor(private readonly file: string, ref: string | undefined, readonly name: string) {
    this.layout = new OciLayoutDestination(this.dir, ref, name);
  }

  hasBlob(desc: Descriptor): Promise<boolean> {
    return this.layout.hasBlob(desc);
  }

  putBlob(desc: Descriptor, open: () => Promise<Readable>): Promise<void> {
    return this.layout.putBlob(desc, open);
  }

  putManifest(m: ManifestBlob, opts: { top: boolean }): Promise<void> {
    return this.layout.putManifest(m, opts);
  }

  async commit(): Promise<void> {
    await this.layout.commit();
    await packArchive(this.dir, this.file);
  }

  async close(): Promise<void> {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
