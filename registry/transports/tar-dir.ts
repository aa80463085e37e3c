import { createReadStream, createWriteStream, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { join, dirname, resolve as resolvePath } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { randomBytes } from 'node:crypto';
import tar from 'tar-stream';
import { TrowelError } from '../../oci/error.js';

/** Names an image archive may hold: plain relative paths, no `..`, no absolute names. */
function safeArchiveName(name: string): string | undefined {
  const clean = name.replace(/^\.\//, '').replace(/\/$/, '');
  if (clean === '' || clean.startsWith('/') || clean.split('/').some((p) => p === '..' || p === '')) return undefined;
  return clean;
}

/**
 * Extracts the regular files and directories of an image archive (OCI or Docker) into `dir`.
 * Links, devices and unsafe names are refused: an image archive has no use for them, and
 * refusing them means nothing can be written outside `dir`.
 */
export async function extractArchive(file: string, dir: string, label: string): Promise<void> {
  const extract = tar.extract();
  const done = (async () => {
    for await (const entry of extract) {
      const h = entry.header;
      const name = safeArchiveName(h.name);
      if (!name) throw new TrowelError('ARCHIVE_INVALID', `read ${label}: unsafe entry name ${JSON.stringify(h.name)}`);
      if (h.type === 'directory') {
        mkdirSync(join(dir, name), { recursive: true });
        entry.resume();
      } else if (h.type === 'file' || h.type === 'contiguous-file') {
        mkdirSync(dirname(join(dir, name)), { recursive: true });
        await pipeline(entry, createWriteStream(join(dir, name)));
      } else if (h.type === 'symlink') {
        // `docker save` archives link <id>/layer.tar to the layer file; only links that stay
        // inside the archive are made.
        const target = h.linkname ?? '';
        const at = join(dir, name);
        const resolved = resolvePath(dirname(at), target);
        if (target.startsWith('/') || (resolved !== dir && !resolved.startsWith(dir + '/'))) {
          throw new TrowelError('ARCHIVE_INVALID', `read ${label}: entry ${JSON.stringify(h.name)} links outside the archive (${JSON.stringify(target)})`);
        }
        mkdirSync(dirname(at), { recursive: true });
        symlinkSync(target, at);
        entry.resume();
      } else if (h.type === 'link') {
        throw new TrowelError('ARCHIVE_INVALID', `read ${label}: entry ${JSON.stringify(h.name)} is a hard link, which image archives do not use`);
      } else {
        entry.resume();
      }
    }
  })();
  try {
    await Promise.all([pipeline(createReadStream(file), extract).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') throw new TrowelError('NOT_FOUND', `read ${label}: ${file} does not exist`);
      throw new TrowelError('ARCHIVE_INVALID', `read ${label}: ${e.message}`);
    }), done]);
  } catch (e) {
    extract.destroy();
    throw e;
  }
}

function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, prefix), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(rel + '/', ...listFiles(dir, rel));
    else if (e.isFile()) out.push(rel);
  }
  return out;
}

/**
 * Writes the files under `dir` as a tar at `file`, atomically (temp file + rename), with
 * fixed owners and times so the same content gives the same archive.
 */
export async function packArchive(dir: string, file: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const pack = tar.pack();
  // Opened here, not by the stream, so the clean-up below cannot run before the file exists.
  const writing = pipeline(pack, createWriteStream(tmp, { fd: openSync(tmp, 'w', 0o644) }));
  try {
    for (const rel of listFiles(dir)) {
      const base = { uid: 0, gid: 0, mtime: new Date(0) };
      if (rel.endsWith('/')) {
        pack.entry({ ...base, name: rel, type: 'directory', mode: 0o755 });
        continue;
      }
      const path = join(dir, rel);
      const size = statSync(path).size;
      const entry = pack.entry({ ...base, name: rel, type: 'file', mode: 0o644, size });
      await pipeline(createReadStream(path), entry);
    }
    pack.finalize();
    await writing;
    renameSync(tmp, file);
  } catch (e) {
    pack.destroy();
    await writing.catch(() => undefined);
    rmSync(tmp, { force: true });
    throw e;
  }
}
