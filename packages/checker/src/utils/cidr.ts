/** IPv4 networks (CIDR) as numbers: for the announce filter (network/announce.ts) and its config (config.ts). */
import { isIPv4 } from "node:net";

/** A dotted-quad IPv4 address as an unsigned 32-bit number. */
export function v4(ip: string): number {
  return ip.split(".").reduce((n, o) => n * 256 + Number(o), 0) >>> 0;
}

/** Whether `ip` lies in the network `base`/`bits`. */
export function inCidr(ip: number, base: number, bits: number): boolean {
  if (bits === 0) return true;
  const mask = (0xffffffff << (32 - bits)) >>> 0;
  return (ip & mask) >>> 0 === (base & mask) >>> 0;
}

/** An IPv4 CIDR ("192.168.1.0/24"), or a one-line error naming what was expected. */
export function parseCidr(text: string): [number, number] {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(text.trim());
  if (m === null || !isIPv4(m[1] as string) || Number(m[2]) > 32) {
    throw new Error(`expected an IPv4 network like 192.168.1.0/24, got ${JSON.stringify(text)}`);
  }
  return [v4(m[1] as string), Number(m[2])];
}
