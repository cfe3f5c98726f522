/**
 * Token amounts for people: the reward token has 18 decimals, and a line of
 * output wants a number a reader can take in (`1,000.00`, not
 * `999.999999999999999997`). Exact integer arithmetic on the base units, so
 * nothing is lost to floating point; machine-readable output (JSON) keeps the
 * exact base-unit integers instead.
 */

/** Decimals of the reward token (RewardToken.sol, an OpenZeppelin ERC20). */
export const TOKEN_DECIMALS = 18;

/**
 * `baseUnits` (wei-like integer, bigint or decimal string) in tokens with
 * `decimals` decimals, rounded half up, thousands separated by commas; a
 * non-zero amount that rounds to zero shows as `<0.01` (or `>-0.01`).
 *
 * @example
 * formatTokens(999_999_999_999_999_999_997n) // "1,000.00"
 * formatTokens("2500000000000000000")        // "2.50"
 * formatTokens(1n)                            // "<0.01"
 */
export function formatTokens(baseUnits: bigint | string, decimals = 2): string {
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > TOKEN_DECIMALS)
    throw new RangeError(`decimals must be an integer in [0, ${TOKEN_DECIMALS}]`);
  const v = BigInt(baseUnits);
  const abs = v < 0n ? -v : v;
  const step = 10n ** BigInt(TOKEN_DECIMALS - decimals);
  const scaled = (abs + step / 2n) / step;
  const one = 10n ** BigInt(decimals);
  const whole = (scaled / one).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const text = decimals > 0 ? `${whole}.${(scaled % one).toString().padStart(decimals, "0")}` : whole;
  if (abs > 0n && scaled === 0n) {
    const smallest = decimals > 0 ? `0.${"0".repeat(decimals - 1)}1` : "1";
    return v < 0n ? `>-${smallest}` : `<${smallest}`;
  }
  return v < 0n ? `-${text}` : text;
}
