import type { MatcherFactory } from './conditions.ts';

/**
 * IPv4 and IPv6 addresses and CIDR ranges, for IN_CIDR. An address is 8 sixteen-bit groups (IPv4
 * is mapped into ::ffff:0:0/96, so a v4 range matches a v4-mapped v6 address too).
 */

export type Address = readonly number[];

export interface CidrRange {
  address: Address;
  /** Prefix length in bits, out of 128. */
  bits: number;
}

function parseIpv4Groups(s: string): number[] | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  const bytes: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    bytes.push(n);
  }
  return [((bytes[0] as number) << 8) | (bytes[1] as number), ((bytes[2] as number) << 8) | (bytes[3] as number)];
}

function parseHexGroups(s: string): number[] | null {
  if (s === '') return [];
  const out: number[] = [];
  const parts = s.split(':');
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] as string;
    if (i === parts.length - 1 && p.includes('.')) {
      const v4 = parseIpv4Groups(p);
      if (!v4) return null;
      out.push(...v4);
    } else {
      if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
      out.push(Number.parseInt(p, 16));
    }
  }
  return out;
}

export function parseAddress(input: string): Address | null {
  const s = input.trim();
  if (s.length > 64) return null;
  if (!s.includes(':')) {
    const v4 = parseIpv4Groups(s);
    return v4 ? [0, 0, 0, 0, 0, 0xffff, ...v4] : null;
  }
  const zone = s.indexOf('%');
  const body = zone >= 0 ? s.slice(0, zone) : s;
  const halves = body.split('::');
  if (halves.length > 2) return null;
  const head = parseHexGroups(halves[0] as string);
  if (!head) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  const tail = parseHexGroups(halves[1] as string);
  if (!tail || head.length + tail.length > 7) return null;
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/** "10.0.0.0/8", "2001:db8::/32", or a bare address (a range of one). */
export function parseCidr(input: string): CidrRange | null {
  const slash = input.indexOf('/');
  const addrPart = slash >= 0 ? input.slice(0, slash) : input;
  const address = parseAddress(addrPart);
  if (!address) return null;
  const isV4 = !addrPart.includes(':');
  const max = isV4 ? 32 : 128;
  let bits = max;
  if (slash >= 0) {
    const b = input.slice(slash + 1).trim();
    if (!/^\d{1,3}$/.test(b)) return null;
    bits = Number(b);
    if (bits > max) return null;
  }
  return { address, bits: isV4 ? bits + 96 : bits };
}

export function cidrContains(range: CidrRange, address: Address): boolean {
  let remaining = range.bits;
  for (let i = 0; i < 8 && remaining > 0; i++) {
    const take = Math.min(remaining, 16);
    const mask = (0xffff << (16 - take)) & 0xffff;
    if (((range.address[i] as number) & mask) !== ((address[i] as number) & mask)) return false;
    remaining -= take;
  }
  return true;
}

/** IN_CIDR conditions, as a compile plug-in (`CompileOptions.cidr`): malformed ranges are left out. */
export const cidrMatcher: MatcherFactory = (_operator, values) => {
  const ranges: CidrRange[] = [];
  for (const v of values) {
    const range = typeof v === 'string' ? parseCidr(v.trim()) : null;
    if (range) ranges.push(range);
  }
  return {
    test(value) {
      const address = parseAddress(value);
      return address !== null && ranges.some((r) => cidrContains(r, address));
    },
  };
};
