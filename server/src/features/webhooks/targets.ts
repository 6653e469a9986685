import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { AppError, type ErrorCode, ValidationError } from '../../errors.ts';

/**
 * Where a webhook may send: http(s) URLs whose host resolves only to public addresses, unless an
 * admin allowed private targets for that webhook. Checked when a webhook is saved and again before
 * every delivery (DNS may have changed since: rebinding), and the delivery then connects to the
 * very address that was checked.
 */

/** 400 with its own code, so a client can tell "not allowed there" from a malformed body. */
export class WebhookTargetError extends AppError {
  constructor(code: typeof ErrorCode.PrivateTarget | typeof ErrorCode.UnresolvableTarget, message: string, details?: unknown) {
    // Codes of this feature only; see the report about adding them to ErrorCode.
    super(400, code, message, details);
  }
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** `dns.lookup` with `all: true`, replaceable in tests. */
export type LookupAll = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemLookup: LookupAll = async (hostname) => {
  const found = await dnsLookup(hostname, { all: true, verbatim: true });
  return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

/** The URL if a webhook may have it (before any DNS): http or https, a host, no credentials. */
export function parseWebhookUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ValidationError('The webhook URL is not a valid URL', [{ path: '/url', message: 'must be an absolute http(s) URL' }]);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ValidationError('Webhook URLs must use https or http', [{ path: '/url', message: `scheme ${url.protocol} is not allowed` }]);
  }
  if (url.username !== '' || url.password !== '') {
    throw new ValidationError('Webhook URLs must not contain credentials; deliveries are signed instead', [
      { path: '/url', message: 'must not contain a user name or password' },
    ]);
  }
  if (url.hostname === '') throw new ValidationError('The webhook URL has no host', [{ path: '/url', message: 'must name a host' }]);
  return url;
}

/** The host of a URL as DNS and sockets want it: IPv6 literals without their brackets. */
export function bareHost(url: URL): string {
  const h = url.hostname;
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

/** Audit rows and events are readable by more people than webhooks are: paths and queries often carry secrets. */
export function redactedUrl(raw: string): string {
  try {
    const url = new URL(raw);
    const hidden = url.pathname !== '/' || url.search !== '' || url.hash !== '';
    return `${url.origin}${hidden ? '/…' : '/'}`;
  } catch {
    return '…';
  }
}

// ---- address classification ----

function ipv4ToNumber(ip: string): number {
  const parts = ip.split('.').map(Number);
  return (((parts[0] ?? 0) << 24) | ((parts[1] ?? 0) << 16) | ((parts[2] ?? 0) << 8) | (parts[3] ?? 0)) >>> 0;
}

const V4_RANGES: ReadonlyArray<readonly [base: string, bits: number, what: string]> = [
  ['0.0.0.0', 8, 'unspecified ("this network")'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared address space (CGNAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

function classifyIpv4(ip: string): string | null {
  const n = ipv4ToNumber(ip);
  for (const [base, bits, what] of V4_RANGES) {
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    if ((n & mask) >>> 0 === (ipv4ToNumber(base) & mask) >>> 0) return what;
  }
  return null;
}

/** The eight 16-bit groups of an IPv6 address (embedded dotted IPv4 allowed), or null. */
export function ipv6Groups(ip: string): number[] | null {
  let text = ip;
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  // A trailing dotted IPv4 part (`::ffff:127.0.0.1`) stands for the last two groups.
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (last.includes('.')) {
    if (isIP(last) !== 4) return null;
    const n = ipv4ToNumber(last);
    text = `${text.slice(0, lastColon + 1)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const parse = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  const double = text.indexOf('::');
  let groups: number[];
  if (double >= 0) {
    const head = parse(text.slice(0, double));
    const rest = parse(text.slice(double + 2));
    if (!head || !rest) return null;
    const missing = 8 - head.length - rest.length;
    if (missing < 1) return null;
    groups = [...head, ...new Array<number>(missing).fill(0), ...rest];
  } else {
    const all = parse(text);
    if (!all) return null;
    groups = all;
  }
  return groups.length === 8 ? groups : null;
}

const v4Of = (hi: number, lo: number) => `${hi >>> 8}.${hi & 0xff}.${lo >>> 8}.${lo & 0xff}`;

function classifyIpv6(ip: string): string | null {
  const g = ipv6Groups(ip);
  if (!g) return 'not an address';
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const zeroUpTo = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeroUpTo(8)) return 'unspecified';
  if (zeroUpTo(7) && g7 === 1) return 'loopback';
  // IPv4 inside IPv6: judged as the IPv4 address it stands for.
  const embedded = (what: string, v4: string) => {
    const inner = classifyIpv4(v4);
    return inner ? `${inner} (${what} ${v4})` : null;
  };
  if (zeroUpTo(5) && g5 === 0xffff) return embedded('IPv4-mapped', v4Of(g6, g7));
  if (zeroUpTo(4) && g4 === 0xffff && g5 === 0) return embedded('IPv4-translated', v4Of(g6, g7));
  if (zeroUpTo(6)) return embedded('IPv4-compatible', v4Of(g6, g7));
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return embedded('NAT64', v4Of(g6, g7));
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 1) return 'local-use NAT64';
  if (g0 === 0x2002) return embedded('6to4', v4Of(g1, g2));
  if (g0 === 0x2001 && g1 === 0) return 'Teredo tunnel';
  if (g0 === 0x2001 && g1 === 0xdb8) return 'documentation';
  if (g0 === 0x100 && g1 === 0 && g2 === 0 && g3 === 0) return 'discard-only';
  if ((g0 & 0xfe00) === 0xfc00) return 'private (unique local)';
  if ((g0 & 0xffc0) === 0xfe80) return 'link-local';
  if ((g0 & 0xffc0) === 0xfec0) return 'private (site-local)';
  if ((g0 & 0xff00) === 0xff00) return 'multicast';
  return null;
}

/**
 * Why an address is not a public unicast address (`'loopback'`, `'private'`, ...), or null when it
 * is one. Anything that is not an IP address at all counts as not public.
 */
export function nonPublicReason(address: string): string | null {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const kind = isIP(bare.split('%')[0] ?? '');
  if (kind === 4) return classifyIpv4(bare);
  if (kind === 6) return classifyIpv6(bare);
  return 'not an address';
}

// ---- resolution ----

const DNS_TIMEOUT_MS = 5000;

async function resolveAll(host: string, lookup: LookupAll, timeoutMs: number): Promise<ResolvedAddress[]> {
  const kind = isIP(host);
  if (kind !== 0) return [{ address: host, family: kind === 6 ? 6 : 4 }];
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`DNS lookup timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const found = await Promise.race([lookup(host), timeout]);
    if (found.length === 0) throw new Error('no addresses');
    return found;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Resolves the URL's host and checks every address it resolves to; the first is the one to connect
 * to. Refused (PRIVATE_TARGET) when any address is not public and private targets are not allowed:
 * a name that resolves to a mix is refused as a whole, since a client may pick any of them.
 */
export async function resolveTarget(
  url: URL,
  allowPrivate: boolean,
  lookup: LookupAll = systemLookup,
  timeoutMs = DNS_TIMEOUT_MS,
): Promise<ResolvedAddress> {
  const host = bareHost(url);
  let addresses: ResolvedAddress[];
  try {
    addresses = await resolveAll(host, lookup, timeoutMs);
  } catch (err) {
    throw new WebhookTargetError('UNRESOLVABLE_TARGET', `The webhook host ${host} could not be resolved: ${(err as Error).message}`, {
      host,
    });
  }
  if (!allowPrivate) {
    for (const a of addresses) {
      const reason = nonPublicReason(a.address);
      if (reason) {
        throw new WebhookTargetError(
          'PRIVATE_TARGET',
          `The webhook host ${host} resolves to ${a.address} (${reason}); such targets need allowPrivate: true`,
          { host, address: a.address, reason },
        );
      }
    }
  }
  const [first] = addresses;
  if (!first) throw new WebhookTargetError('UNRESOLVABLE_TARGET', `The webhook host ${host} has no addresses`, { host });
  return first;
}

/** What saving a webhook checks: the URL's form, then (unless private targets are allowed) where it leads. */
export async function vetWebhookUrl(raw: string, allowPrivate: boolean, lookup: LookupAll = systemLookup): Promise<void> {
  const url = parseWebhookUrl(raw);
  // Allowed to go anywhere: nothing to check, and a host that only resolves inside some network
  // (or only later) must still be accepted.
  if (allowPrivate) return;
  await resolveTarget(url, false, lookup);
}
