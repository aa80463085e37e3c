import { InvalidArgumentError } from './error.js';
import { isDigest, type Digest } from './digest.js';

/**
 * A parsed image reference: `[domain[:port]/]path[:tag][@digest]`, per the grammar of
 * distribution/reference. `domain` is always set after normalization.
 */
export interface ImageReference {
  domain: string;
  path: string;
  tag?: string;
  digest?: Digest;
}

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const PATH_RE = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_RE = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`);

export const DOCKER_HUB = 'docker.io';

/** Whether a first path component names a registry host (has a dot or port, or is localhost). */
function looksLikeDomain(first: string): boolean {
  return first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('[') || first !== first.toLowerCase();
}

export interface ParseReferenceOptions {
  /**
   * Domain for names without one. buildah stores short names given to commit/tag under
   * `localhost/`; pulls resolve them through registries.conf instead.
   */
  defaultDomain?: string;
  /** Add `latest` when neither tag nor digest is given (default true). */
  defaultTag?: boolean;
}

/**
 * Parses an image reference. Throws InvalidArgumentError naming the reference when malformed.
 * Docker Hub names are normalized (`busybox` with defaultDomain docker.io -> docker.io/library/busybox).
 */
export function parseReference(input: string, opts: ParseReferenceOptions = {}): ImageReference {
  const fail = (why: string): never => {
    throw new InvalidArgumentError(`parse reference ${JSON.stringify(input)}: ${why}`);
  };
  if (input === '') fail('empty name');
  if (input.length > 255 + 80) fail('too long');
  let rest = input;
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    const d = rest.slice(at + 1);
    if (!isDigest(d)) fail(`invalid digest ${JSON.stringify(d)}`);
    digest = d as Digest;
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) fail(`invalid tag ${JSON.stringify(tag)}`);
  }
  let domain: string | undefined;
  const slash = rest.indexOf('/');
  if (slash >= 0 && looksLikeDomain(rest.slice(0, slash))) {
    domain = rest.slice(0, slash);
    rest = rest.slice(slash + 1);
    if (!DOMAIN_RE.test(domain)) fail(`invalid registry ${JSON.stringify(domain)}`);
  }
  if (!PATH_RE.test(rest)) {
    fail(rest !== rest.toLowerCase() ? 'repository name must be lowercase' : 'invalid repository name');
  }
  domain ??= opts.defaultDomain ?? DOCKER_HUB;
  if (domain === DOCKER_HUB && !rest.includes('/')) rest = `library/${rest}`;
  const ref: ImageReference = { domain, path: rest };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  if (tag === undefined && digest === undefined && opts.defaultTag !== false) ref.tag = 'latest';
  return ref;
}

/** The repository part, `domain/path`. */
export function repositoryName(ref: ImageReference): string {
  return `${ref.domain}/${ref.path}`;
}

/** The full string form, `domain/path[:tag][@digest]`. */
export function formatReference(ref: ImageReference): string {
  let s = repositoryName(ref);
  if (ref.tag) s += `:${ref.tag}`;
  if (ref.digest) s += `@${ref.digest}`;
  return s;
}

/** Whether a string could be a reference at all (used to tell names from ids). */
export function isValidReference(input: string): boolean {
  try {
    parseReference(input);
    return true;
  } catch {
    return false;
  }
}
