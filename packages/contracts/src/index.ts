/**
 * @checkernet/contracts: typed ABIs and creation bytecode of the contract set
 * (generated from the Hardhat artifacts), deployment, the deployment file the
 * nodes read, and the re-check header helpers.
 */
export {
  CONTRACT_DEFAULTS,
  type ContractAddresses,
  DeployError,
  type DeployErrorCode,
  type Deployment,
  type DeployOptions,
  deployAll,
} from "./deploy.ts";
export {
  type DeploymentFile,
  DeploymentFileError,
  parseDeploymentFile,
  readDeploymentFile,
  toDeploymentFile,
  writeDeploymentFile,
} from "./deploymentFile.ts";
export { type SlashEquivocationArgs, slashEquivocationArgs } from "./equivocation.ts";
export {
  checkerLicenseAbi,
  checkerLicenseBytecode,
  checkerRegistryAbi,
  checkerRegistryBytecode,
  epochReportsAbi,
  epochReportsBytecode,
  fraudProofsAbi,
  fraudProofsBytecode,
  providerRegistryAbi,
  providerRegistryBytecode,
  rewardsAbi,
  rewardsBytecode,
  rewardTokenAbi,
  rewardTokenBytecode,
  slashingAbi,
  slashingBytecode,
} from "./generated/index.ts";
export {
  RECHECK_HEADER_ABI,
  type RecheckHeader,
  RecheckTag,
  recheckSeatIndex,
  recheckSigningRoot,
} from "./recheck.ts";
export { type ContractRevert, contractRevertOf } from "./revert.ts";
export { SlashStatus } from "./slashing.ts";
