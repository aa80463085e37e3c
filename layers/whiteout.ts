/**
 * Whiteout conventions. OCI layers use AUFS-style names; overlay upper and lower dirs use
 * char 0:0 devices and opaque xattrs; fuse-overlayfs also accepts the OCI names on disk.
 */

/** Prefix of an OCI whiteout entry: `.wh.<name>` deletes `<name>` from lower layers. */
export const WHITEOUT_PREFIX = '.wh.';

/** OCI opaque marker: `<dir>/.wh..wh..opq` hides everything lower layers have in `<dir>`. */
export const OPAQUE_MARKER = '.wh..wh..opq';

/** Xattrs that mark an overlay directory opaque (value `y`), by who writes them. */
export const OPAQUE_XATTRS = {
  /** kernel overlay, mounted by root */
  trusted: 'trusted.overlay.opaque',
  /** kernel overlay with `userxattr` (rootless, Linux >= 5.11); fuse-overlayfs reads it too */
  user: 'user.overlay.opaque',
  /** fuse-overlayfs's own */
  fuse: 'user.fuseoverlayfs.opaque',
} as const;

/**
 * Xattr name prefixes that belong to the overlay implementation or the host, not to the
 * image: they are never written into a layer.
 */
export const PRIVATE_XATTR_PREFIXES: readonly string[] = [
  'trusted.overlay.',
  'user.overlay.',
  'user.fuseoverlayfs.',
  'user.containers.',
  'security.selinux',
  'system.',
];

/**
 * Overlay xattrs that mean an upper entry's content is not self-contained (a renamed dir
 * that still redirects to lower content, or a metadata-only copy-up): a diff of the upper
 * dir alone would be wrong.
 */
export const UNSUPPORTED_OVERLAY_XATTRS: readonly string[] = [
  'trusted.overlay.redirect',
  'trusted.overlay.metacopy',
  'user.overlay.redirect',
  'user.overlay.metacopy',
];

export function isPrivateXattr(name: string): boolean {
  return PRIVATE_XATTR_PREFIXES.some((p) => name.startsWith(p));
}
