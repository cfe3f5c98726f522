import { type Address, getAddress, isAddress } from "viem";
import { CheckerError } from "../errors.ts";

/**
 * Adversarial checker behaviour, for tests and demos only: how a colluding
 * minority produces a false pending slash. A checker with `lie-fail:<provider>`
 * signs FAIL for that provider whatever it measured, in its regular duty and
 * in re-checks alike. A checker with `vouch-pass` attests PASS for every
 * provider whatever it measured and never builds a fraud proof: a colluding
 * majority covering for a cheating provider. Nothing turns these on by
 * default, and a node running with one logs a warning at start and at every lie.
 */
export interface CheckerFaults {
  /** Providers this checker accuses falsely (checksummed). */
  lieFail: ReadonlySet<Address>;
  /** Attest PASS for everyone, build no fraud proof. */
  vouchPass?: boolean;
}

export const NO_FAULTS: CheckerFaults = Object.freeze({ lieFail: new Set<Address>() });

class CheckerFaultError extends CheckerError {
  override name = "CheckerFaultError";
}

/**
 * Parses fault specs: `lie-fail:<providerAddress>` (repeatable), `vouch-pass`.
 *
 * @example
 * parseCheckerFaults(["lie-fail:0x70997970C51812dc3A010C7d01b50e0d17dc79C8"]).lieFail.size // 1
 * @throws CheckerFaultError naming the spec and what is wrong with it.
 */
export function parseCheckerFaults(specs: readonly string[]): CheckerFaults {
  const lieFail = new Set<Address>();
  let vouchPass = false;
  for (const spec of specs) {
    const [mode, arg, ...rest] = spec.split(":");
    if (mode === "honest" && arg === undefined) continue;
    if (mode === "vouch-pass" && arg === undefined) {
      vouchPass = true;
      continue;
    }
    if (mode !== "lie-fail") {
      throw new CheckerFaultError(
        `unknown checker fault ${JSON.stringify(spec)}; known: lie-fail:<providerAddress>, vouch-pass`,
      );
    }
    if (arg === undefined || rest.length > 0 || !isAddress(arg, { strict: false })) {
      throw new CheckerFaultError(`fault ${JSON.stringify(spec)}: expected lie-fail:<providerAddress>`);
    }
    lieFail.add(getAddress(arg));
  }
  return vouchPass ? { lieFail, vouchPass } : { lieFail };
}

/** Whether this checker vouches PASS for every provider (vouch-pass). */
export function vouchesPass(faults: CheckerFaults): boolean {
  return faults.vouchPass === true;
}

/** Whether this checker lies about `provider`. */
export function liesAbout(faults: CheckerFaults, provider: Address): boolean {
  return faults.lieFail.size > 0 && faults.lieFail.has(getAddress(provider));
}
