import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runChecker } from "../../utils/cli.ts";

// The owner's commands refuse a bad or missing flag on one line that names the flag, the value and what is
// expected, with one code (issue 16). No chain is needed: each is refused before anything is read, so the
// network below points at a port where nothing answers.

const SOME = "0x0000000000000000000000000000000000000001";
const dataDir = mkdtempSync(join(tmpdir(), "checker-flag-errors-"));
/** A configured network whose RPC does not answer: a flag error must come before any chain read. */
const NETWORK = {
  CHECKER_RPC_URL: "http://127.0.0.1:1",
  CHECKER_CHAIN_ID: "31337",
  CHECKER_VERIFYING_CONTRACT: SOME,
  CHECKER_REWARDS: SOME,
  CHECKER_LICENSE: SOME,
  CHECKER_CHECKER_REGISTRY: SOME,
  CHECKER_PROVIDER_REGISTRY: SOME,
  CHECKER_TX_KEY: "",
};

/** Runs `checker -d <tmp> <args>` and returns its stderr, which must be the one refused line (exit 1). */
function refused(args: string[]): string {
  const r = runChecker(["-d", dataDir, ...args], NETWORK);
  expect(r.code, r.stderr).toBe(1);
  expect(r.stdout).toBe("");
  return r.stderr;
}

const notAddress = (flag: string, value: string) =>
  `error: ${flag} "${value}" is not an address; expected a 20-byte hex address (0x and 40 hex digits) [CLI_ERROR_BAD_FLAG]\n`;

describe("checker owner commands: flag errors name the flag, the value and what is expected", () => {
  it("addresses: rewards/license list --owner, claim --print-tx --owner, explain --provider, delegate's operator", () => {
    // Before the chain is read: the RPC here answers nothing, and the bad flag is still what is named.
    expect(refused(["rewards", "--owner", "garbage"])).toBe(notAddress("--owner", "garbage"));
    expect(refused(["license", "list", "--owner", "nope"])).toBe(notAddress("--owner", "nope"));
    expect(refused(["claim", "--print-tx", "--owner", "0x12"])).toBe(notAddress("--owner", "0x12"));
    expect(refused(["explain", "--provider", "garbage", "--epoch", "3"])).toBe(
      notAddress("--provider", "garbage"),
    );
    expect(refused(["license", "delegate", "1", "garbage"])).toBe(notAddress("operator", "garbage"));
  });

  it("license ids and epochs: claim/explain --license, license delegate/undelegate <id>, explain --from/--to/--epoch", () => {
    const notLicense =
      'error: --license "x" is not a license id; expected a decimal integer [CLI_ERROR_BAD_FLAG]\n';
    expect(refused(["claim", "--license", "x"])).toBe(notLicense);
    for (const command of [
      ["license", "delegate", "x1", SOME],
      ["license", "undelegate", "x1"],
    ])
      expect(refused(command)).toBe(
        'error: <id> "x1" is not a license id; expected a decimal integer [CLI_ERROR_BAD_FLAG]\n',
      );
    expect(refused(["explain", "--license", "x"])).toBe(notLicense);
    expect(refused(["explain", "--license", "1", "--from", "0"])).toBe(
      'error: --from "0" is not an epoch; expected an epoch number ≥ 1 [CLI_ERROR_BAD_FLAG]\n',
    );
    expect(refused(["explain", "--license", "1", "--to", "1.5"])).toBe(
      'error: --to "1.5" is not an epoch; expected an epoch number ≥ 1 [CLI_ERROR_BAD_FLAG]\n',
    );
    expect(refused(["explain", "--provider", SOME, "--epoch", "-1"])).toBe(
      'error: --epoch "-1" is not an epoch; expected an epoch number ≥ 1 [CLI_ERROR_BAD_FLAG]\n',
    );
  });

  it("a missing or conflicting flag shows the command that works", () => {
    expect(refused(["license", "list"])).toBe(
      "error: whose licenses? no --owner, no --all and no txPrivateKey (CHECKER_TX_KEY): e.g. checker license list --owner <0x address> [CLI_ERROR_MISSING_FLAG]\n",
    );
    expect(refused(["explain"])).toBe(
      "error: explain what? no --license and no --provider: e.g. checker explain --license <id> [--from <epoch> --to <epoch>], or checker explain --provider <0x address> --epoch <n> [CLI_ERROR_MISSING_FLAG]\n",
    );
    expect(refused(["explain", "--provider", SOME])).toBe(
      `error: --provider needs --epoch: e.g. checker explain --provider ${SOME} --epoch <n> [CLI_ERROR_MISSING_FLAG]\n`,
    );
    expect(refused(["explain", "--license", "1", "--provider", SOME])).toBe(
      "error: --license and --provider: give one (checker explain --license <id>, or checker explain --provider <0x address> --epoch <n>) [CLI_ERROR_BAD_FLAG]\n",
    );
  });
});
