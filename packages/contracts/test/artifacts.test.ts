import { describe, expect, it } from "vitest";
import { camelName, EXPORTED_CONTRACTS, readExportedArtifacts } from "../src/artifacts.ts";
import * as generated from "../src/generated/index.ts";

/**
 * src/generated/ is committed so that typechecking and deployment need no
 * compiler; this test fails when it lags behind the Solidity sources. It needs
 * `npx hardhat compile` first; regenerate with
 * `npx tsx packages/contracts/src/cli/export-artifacts.ts`.
 */
describe("generated ABIs and bytecode", () => {
  it("match the compiled artifacts", async () => {
    const compiled = await readExportedArtifacts();
    const modules = generated as Record<string, unknown>;
    for (const contract of compiled) {
      const id = camelName(contract.name);
      expect(modules[`${id}Abi`], `${contract.name} ABI is stale: re-run export-artifacts`).toEqual(
        contract.abi,
      );
      expect(modules[`${id}Bytecode`], `${contract.name} bytecode is stale: re-run export-artifacts`).toBe(
        contract.bytecode,
      );
    }
    expect(compiled).toHaveLength(EXPORTED_CONTRACTS.length);
  });

  it("names exports in camel case", () => {
    expect(camelName("EpochReports")).toBe("epochReports");
    expect(camelName("BLS12381Mock")).toBe("bls12381Mock");
    expect(camelName("NaiveAttestations")).toBe("naiveAttestations");
  });
});
