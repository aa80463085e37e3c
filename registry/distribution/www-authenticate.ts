/**
 * `WWW-Authenticate` parsing per RFC 7235 section 4.1: a header holds one or more challenges,
 * each `scheme [token68 | auth-param *("," auth-param)]`, where a param value is a token or a
 * quoted-string. Commas separate both challenges and params, and quoted values may contain
 * commas (`scope="repository:a:pull,push"`), so the header cannot be split on commas.
 */

/** One challenge: scheme in lower case, params by lower-case name. */
export interface AuthChallenge {
  scheme: string;
  params: Record<string, string>;
  /** The token68 form (`Negotiate abc==`), when the challenge used it. */
  token68?: string;
}

const TCHAR = /[!#$%&'*+.^_`|~0-9A-Za-z-]/;

/** Parses every challenge in the given header values; malformed tails are ignored, not thrown. */
export function parseWwwAuthenticate(values: string | string[] | undefined): AuthChallenge[] {
  if (values === undefined) return [];
  const list = Array.isArray(values) ? values : [values];
  return list.flatMap(parseOne);
}

function parseOne(header: string): AuthChallenge[] {
  const out: AuthChallenge[] = [];
  let i = 0;
  const n = header.length;
  const skipWs = (): void => {
    while (i < n && (header[i] === ' ' || header[i] === '\t')) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < n && TCHAR.test(header[i]!)) i++;
    return header.slice(start, i);
  };
  const quoted = (): string => {
    // header[i] is the opening quote
    i++;
    let v = '';
    while (i < n && header[i] !== '"') {
      if (header[i] === '\\' && i + 1 < n) i++;
      v += header[i];
      i++;
    }
    i++; // closing quote
    return v;
  };
  let current: AuthChallenge | undefined;
  while (i < n) {
    skipWs();
    if (header[i] === ',') {
      i++;
      continue;
    }
    const name = token();
    if (!name) break; // not a token: give up on the rest
    skipWs();
    if (current && header[i] === '=') {
      const save = i;
      i++;
      skipWs();
      if (header[i] === '"' || TCHAR.test(header[i] ?? '')) {
        current.params[name.toLowerCase()] = header[i] === '"' ? quoted() : token();
        continue;
      }
      i = save;
    }
    // Not a param: a new challenge whose scheme is `name`, maybe followed by a token68.
    current = { scheme: name.toLowerCase(), params: {} };
    out.push(current);
    skipWs();
    const t68 = /^([A-Za-z0-9\-._~+/]+=*)[ \t]*(?:,|$)/.exec(header.slice(i));
    if (t68) {
      current.token68 = t68[1]!;
      i += t68[1]!.length;
    }
  }
  return out;
}
