/**
 * The platforms a build is asked for: `--platform os/arch[/variant]` (repeated or
 * comma-separated) or `--os`/`--arch`/`--variant`, read as buildah reads them, checked against
 * the OS and architecture names Go (and so the OCI image spec) knows, and normalized the way
 * images record them (`aarch64` is `arm64`, `x86_64` is `amd64`, a bare `arm` is `arm/v7`).
 */
import { InvalidArgumentError } from '../../oci/error.js';
import { formatPlatform, hostPlatform, type Platform } from '../../oci/platform.js';

/** GOOS values: the `os` an image config may carry. */
const KNOWN_OS = ['aix', 'android', 'darwin', 'dragonfly', 'freebsd', 'illumos', 'ios', 'js', 'linux', 'netbsd', 'openbsd', 'plan9', 'solaris', 'wasip1', 'windows'];

/** GOARCH values: the `architecture` an image config may carry. */
const KNOWN_ARCH = ['386', 'amd64', 'arm', 'arm64', 'loong64', 'mips', 'mips64', 'mips64le', 'mipsle', 'ppc64', 'ppc64le', 'riscv64', 's390x', 'wasm'];

/** Other spellings of architectures, as `uname -m` and distributions write them. */
const ARCH_ALIASES: Record<string, string> = { x86_64: 'amd64', 'x86-64': 'amd64', aarch64: 'arm64', armhf: 'arm', armel: 'arm', i386: '386', i686: '386' };

/** What the flags asked for; every field is optional. */
export interface PlatformFlags {
  /** `--platform` values, each possibly a comma-separated list. */
  platforms?: string[];
  os?: string;
  arch?: string;
  variant?: string;
}

function bad(text: string, why: string): InvalidArgumentError {
  return new InvalidArgumentError(`parse platform ${JSON.stringify(text)}: ${why}`);
}

/**
 * One platform from its parts, validated and normalized.
 * @throws InvalidArgumentError naming `text` and what is wrong with it.
 */
function checkedPlatform(text: string, os: string, arch: string, variant: string | undefined): Platform {
  const o = os.toLowerCase();
  let a = arch.toLowerCase();
  a = ARCH_ALIASES[a] ?? a;
  if (!KNOWN_OS.includes(o)) throw bad(text, `unknown operating system ${JSON.stringify(os)} (known: ${KNOWN_OS.join(', ')})`);
  if (!KNOWN_ARCH.includes(a)) throw bad(text, `unknown architecture ${JSON.stringify(arch)} (known: ${KNOWN_ARCH.join(', ')})`);
  let v = variant?.toLowerCase();
  if (v !== undefined && !/^v\d+(\.\d+)?$/.test(v)) throw bad(text, `variant ${JSON.stringify(variant)} is not of the form vN (v7, v8, …)`);
  // 32-bit arm with no variant means v7, as containerd and buildah normalize it.
  if (a === 'arm' && v === undefined) v = 'v7';
  return { os: o, architecture: a, ...(v !== undefined ? { variant: v } : {}) };
}

/**
 * Parses one `os/arch[/variant]`.
 * @throws InvalidArgumentError for anything else (buildah's `invalid platform syntax`).
 */
export function parseTargetPlatform(text: string): Platform {
  const parts = text.trim().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '')) throw bad(text, 'want os/arch[/variant], e.g. linux/arm64');
  return checkedPlatform(text, parts[0]!, parts[1]!, parts[2]);
}

/**
 * The platforms to build, in the order given, without repeats: the `--platform` values, or
 * one platform made of `--os`/`--arch`/`--variant` over the host's, or none at all when no
 * flag was given (a plain host build). As in buildah, `--platform` cannot be combined with the
 * other three.
 * @throws InvalidArgumentError for a malformed or unknown platform, or conflicting flags.
 */
export function targetPlatforms(flags: PlatformFlags): Platform[] {
  const given = (flags.platforms ?? []).flatMap((p) => p.split(',')).map((p) => p.trim()).filter((p) => p !== '');
  const parts = flags.os !== undefined || flags.arch !== undefined || flags.variant !== undefined;
  if (given.length > 0 && parts) throw new InvalidArgumentError('parse platform: --platform cannot be used with --os, --arch or --variant');
  if ((flags.platforms ?? []).length > 0 && given.length === 0) throw bad(flags.platforms!.join(','), 'want os/arch[/variant], e.g. linux/arm64');
  if (parts) {
    const host = hostPlatform();
    const os = flags.os || host.os;
    const arch = flags.arch || host.architecture;
    // The host's variant belongs to the host's architecture only.
    const variant = flags.variant || (flags.arch ? undefined : host.variant);
    return [checkedPlatform([os, arch, variant].filter(Boolean).join('/'), os, arch, variant)];
  }
  const out: Platform[] = [];
  for (const text of given) {
    const p = parseTargetPlatform(text);
    if (!out.some((q) => formatPlatform(q) === formatPlatform(p))) out.push(p);
  }
  return out;
}
