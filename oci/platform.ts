import { arch as nodeArch } from 'node:process';
import { InvalidArgumentError } from './error.js';

export interface Platform {
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
}

/** Maps Node's process.arch to the GOARCH names the OCI spec uses. */
export function hostArchitecture(): string {
  switch (nodeArch) {
    case 'x64': return 'amd64';
    case 'ia32': return '386';
    case 'arm64': return 'arm64';
    case 'arm': return 'arm';
    case 'ppc64': return 'ppc64le';
    case 's390x': return 's390x';
    case 'riscv64': return 'riscv64';
    default: return nodeArch;
  }
}

export function hostPlatform(): Platform {
  const p: Platform = { os: 'linux', architecture: hostArchitecture() };
  if (p.architecture === 'arm64') p.variant = 'v8';
  return p;
}

/** Parses `os/arch[/variant]` (as in `--platform linux/arm64/v8`). */
export function parsePlatform(s: string): Platform {
  const parts = s.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '')) {
    throw new InvalidArgumentError(`parse platform ${JSON.stringify(s)}: expected os/arch[/variant]`);
  }
  const p: Platform = { os: parts[0]!, architecture: normalizeArch(parts[1]!) };
  if (parts[2]) p.variant = parts[2];
  return p;
}

function normalizeArch(a: string): string {
  if (a === 'x86_64' || a === 'x86-64') return 'amd64';
  if (a === 'aarch64') return 'arm64';
  return a;
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** Whether an index entry's platform satisfies the wanted one (variant only compared when wanted). */
export function platformMatches(have: Platform | undefined, want: Platform): boolean {
  if (!have) return false;
  if (have.os !== want.os || have.architecture !== want.architecture) return false;
  if (want.variant && have.variant && want.variant !== have.variant) return false;
  return true;
}
