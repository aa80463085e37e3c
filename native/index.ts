/**
 * The public face of native/: everything else in trowel reaches the C parts only through here.
 * - fs operations (xattrs, mknod, mount) from the N-API addon: ./fsops.ts
 * - the namespace helper process that runs commands in containers: ./runner.ts
 */
export * from './fsops.js';
export * from './runner.js';
