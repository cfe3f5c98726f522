import { committeeSeats } from "@checkernet/protocol/sortition";
import type { Prng } from "./prng.ts";

const TWO_256 = 1n << 256n;
/** Seat counts whose probability is below this are never drawn (one in 10^18 provider-epochs). */
const NEGLIGIBLE_TAIL = 1e-18;

/**
 * The protocol's per-checker seat distribution, read off `committeeSeats`
 * itself. committeeSeats maps a uniform 256-bit ticket to seats through
 * bucket boundaries t_1 < t_2 < …; bisecting the real function finds them
 * exactly, and `tail[j] = P(seats ≥ j) = (2^256 − t_j) / 2^256`. Drawing a
 * seat count from these tails is drawing a ticket and calling committeeSeats,
 * rounded only to the 53 bits of a double.
 */
export class SeatTable {
  private readonly cache = new Map<string, Float64Array>();

  /** tail[0] = 1, tail[j] = P(seats >= j) for a checker with `licenses` of `total` licenses and committee size `k`. */
  tails(licenses: number, total: number, k: number): Float64Array {
    const key = `${licenses}/${total}/${k}`;
    let t = this.cache.get(key);
    if (!t) {
      t = computeTails(licenses, total, k);
      this.cache.set(key, t);
    }
    return t;
  }

  /** Seats of a checker known to hold at least one: draws from P(seats = j | seats >= 1). */
  drawGivenSeated(rng: Prng, tails: Float64Array): number {
    const first = tails[1] ?? 0;
    const x = rng.next53() * first;
    let j = 1;
    while (j + 1 < tails.length && x < (tails[j + 1] as number)) j++;
    return j;
  }
}

function computeTails(licenses: number, total: number, k: number): Float64Array {
  if (licenses === 0) return Float64Array.of(1);
  if (k >= total) {
    // Every license is a seat (committeeSeats' own rule).
    const all = new Float64Array(licenses + 1).fill(1);
    return all;
  }
  const out: number[] = [1];
  let lo = 0n;
  for (let j = 1; j <= licenses; j++) {
    // Smallest ticket with committeeSeats(ticket) >= j; seats are monotone in the ticket.
    if (committeeSeats(TWO_256 - 1n, licenses, total, k) < j) break;
    let hi = TWO_256 - 1n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1n;
      if (committeeSeats(mid, licenses, total, k) >= j) hi = mid;
      else lo = mid + 1n;
    }
    const tail = Number(TWO_256 - lo) / Number(TWO_256);
    if (tail < NEGLIGIBLE_TAIL) break;
    out.push(tail);
  }
  return Float64Array.from(out);
}

/** One seat holder of a provider's committee for an epoch. */
export interface Seat {
  checker: number;
  seats: number;
}

/**
 * The modelled committee draw. Under the protocol every license is an
 * independent trial with p = k / L (that is what committeeSeats computes from
 * a VRF ticket), so a checker is on the committee exactly when at least one
 * of its licenses is drawn. We draw S ~ Binomial(L, p) licenses, pick S
 * distinct ones uniformly (each license then is in with probability p,
 * independently), keep their distinct owners, and give each owner its seat
 * count from the SeatTable conditioned on holding one. Per checker and
 * jointly over checkers this is the protocol's distribution; only the VRF
 * evaluations are replaced by the PRNG.
 */
export class CommitteeSampler {
  private readonly owner: Int32Array;
  private readonly licenses: Int32Array;
  readonly totalLicenses: number;
  private readonly seatTable = new SeatTable();
  private readonly picked: number[] = [];
  private readonly mark: Uint32Array;
  private readonly licenseMark: Uint32Array;
  private stamp = 0;

  constructor(licensesPerChecker: Int32Array) {
    this.licenses = licensesPerChecker;
    let total = 0;
    for (const n of licensesPerChecker) total += n;
    this.totalLicenses = total;
    this.owner = new Int32Array(total);
    let at = 0;
    licensesPerChecker.forEach((n, checker) => {
      this.owner.fill(checker, at, at + n);
      at += n;
    });
    this.mark = new Uint32Array(licensesPerChecker.length);
    this.licenseMark = new Uint32Array(total);
  }

  /** Owner of license index i (the report committee's seats are license indices). */
  ownerOf(licenseIndex: number): number {
    return this.owner[licenseIndex] as number;
  }

  /** A committee of expected size k, into `out` (cleared first). */
  draw(rng: Prng, k: number, out: Seat[]): Seat[] {
    out.length = 0;
    const total = this.totalLicenses;
    if (k >= total) {
      this.licenses.forEach((n, checker) => {
        if (n > 0) out.push({ checker, seats: n });
      });
      return out;
    }
    const s = rng.binomial(total, k / total);
    // A fresh stamp marks owners already taken, without clearing an N-sized array per draw.
    this.stamp = (this.stamp + 1) >>> 0;
    if (this.stamp === 0) {
      this.mark.fill(0);
      this.licenseMark.fill(0);
      this.stamp = 1;
    }
    const picked = this.picked;
    picked.length = 0;
    // S distinct licenses by rejection: S is tiny next to L.
    let drawn = 0;
    const licStamp = this.licenseMark;
    while (drawn < s) {
      const lic = rng.int(total);
      if (licStamp[lic] === this.stamp) continue;
      licStamp[lic] = this.stamp;
      drawn++;
      const owner = this.owner[lic] as number;
      if (this.mark[owner] !== this.stamp) {
        this.mark[owner] = this.stamp;
        picked.push(owner);
      }
    }
    // Sorted owners keep the order of draws independent of license layout.
    picked.sort((a, b) => a - b);
    for (const checker of picked) {
      const n = this.licenses[checker] as number;
      const tails = this.seatTable.tails(n, total, k);
      const seats = n === 1 ? 1 : this.seatTable.drawGivenSeated(rng, tails);
      out.push({ checker, seats });
    }
    return out;
  }

  /**
   * Leader and backups of the aggregator role: the checker owning the
   * lowest license-slot ticket leads (aggregatorTicket takes the minimum over
   * license slots, so leading odds are proportional to licenses); the next
   * ranks are the owners of the next-lowest slots among the other checkers.
   * A uniformly drawn license slot is the lowest one, so drawing slots and
   * skipping owners already ranked reproduces the ranking's distribution.
   */
  rankAggregators(rng: Prng, count: number): number[] {
    const out: number[] = [];
    const n = this.licenses.length;
    const want = Math.min(count, n);
    let guard = 0;
    while (out.length < want && guard++ < 1_000_000) {
      const owner = this.owner[rng.int(this.totalLicenses)] as number;
      if (!out.includes(owner)) out.push(owner);
    }
    return out;
  }
}
