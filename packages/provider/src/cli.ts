import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { loadBlsBackend } from "@checkernet/protocol/bls/index";
import { gpuClass } from "@checkernet/protocol/challenges/gpu-classes";
import { vramBlockCount, vramDatasetSeed } from "@checkernet/protocol/challenges/vram";
import { ProtocolError } from "@checkernet/protocol/errors";
import type { ResultLeaf } from "@checkernet/protocol/merkle/leaves";
import { DEFAULT_PARAMS } from "@checkernet/protocol/params";
import { formatTokens } from "@checkernet/protocol/tokens";
import { multiaddr } from "@multiformats/multiaddr";
import { Command, InvalidArgumentError } from "commander";
import { pino } from "pino";
import { type Address, getAddress, type Hex, isAddress, isHex, parseUnits } from "viem";
import {
  providerStatus,
  registerProvider,
  requestUnstake,
  stakeTokens,
  withdrawUnbonded,
} from "./chain/actions.ts";
import { answerKeyAt, registerAnswerKey } from "./chain/answerKey.ts";
import { connectProviderChain, type ProviderChain, readDeployment } from "./chain/client.ts";
import { contestSlash, followContest } from "./chain/contest.ts";
import { readLeafFile } from "./chain/leafFile.ts";
import { openSlashes } from "./chain/openSlashes.ts";
import { fetchResultLeaf, parseCheckerAddress, readReportRoots } from "./evidence/reportLeaf.ts";
import { evidenceSources, parseCheckerTarget } from "./evidence/sources.ts";
import { collectEvidence } from "./evidence/verify.ts";
import { serveEpochClock } from "./faults/epochClock.ts";
import { FAULT_MODE_SYNTAX, parseFaultMode } from "./faults/mode.ts";
import { createProviderHost } from "./host.ts";
import { initProviderKeys, loadProviderKeys } from "./keys.ts";
import { type AgentIdentity, runProviderAgent } from "./serve/agent.ts";
import { answerSigner } from "./serve/answerSigner.ts";

/** Where `provider` keeps its keys unless told otherwise. */
export const DEFAULT_DATA_DIR = join(homedir(), ".checkernet-provider");

/** Reads the key-file password: --password-file first line, else the PROVIDER_PASSWORD environment variable, else none. */
export async function resolvePassword(passwordFile: string | undefined): Promise<string | undefined> {
  if (passwordFile !== undefined) return (await readFile(passwordFile, "utf8")).split(/\r?\n/)[0];
  const env = process.env.PROVIDER_PASSWORD;
  return env === undefined || env === "" ? undefined : env;
}

const int = (name: string) => (value: string) => {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${name} must be a non-negative integer`);
  return Number(value);
};

const hex32 = (name: string) => (value: string) => {
  if (!isHex(value, { strict: true }) || value.length !== 66)
    throw new InvalidArgumentError(`${name} must be 32 bytes of 0x-hex`);
  return value as Hex;
};

/**
 * A repeatable multiaddr option: each value is checked as it is read, so a
 * bad one names the flag and what is expected; the first value given
 * replaces the default list.
 */
const multiaddrs =
  (name: string, defaults: string[] = []) =>
  (value: string, previous: string[]) => {
    try {
      multiaddr(value);
    } catch (e) {
      throw new InvalidArgumentError(
        `${name} expects multiaddrs like /ip4/0.0.0.0/tcp/4010 (${(e as Error).message})`,
      );
    }
    return previous === defaults || previous === undefined ? [value] : [...previous, value];
  };
const DEFAULT_LISTEN = ["/ip4/0.0.0.0/tcp/4010"];

interface ServeFlags {
  dataDir: string;
  passwordFile?: string;
  listen: string[];
  announce?: string[];
  fault: string;
  gpuClass: string;
  workers?: number;
  vramSalt?: Hex;
  epochSeconds?: number;
  genesis?: number;
  chainId?: number;
  providerRegistry?: Address;
  also?: { dataDir: string; listen: string[] }[];
  logLevel: string;
}

/** `--also <data-dir>=<multiaddr>`: another provider's data directory and where it listens. */
function also(value: string, previous: { dataDir: string; listen: string[] }[] = []) {
  const at = value.lastIndexOf("=");
  const dataDir = value.slice(0, at);
  const listen = value.slice(at + 1);
  if (at < 1) throw new InvalidArgumentError("--also expects <data-dir>=<multiaddr>");
  multiaddrs("--also")(listen, []);
  // The same keys twice would be two hosts with one peer id: a checker's dial would reach either.
  if (previous.some((p) => p.dataDir === dataDir))
    throw new InvalidArgumentError(`--also names the data directory ${dataDir} twice; each provider once`);
  return [...previous, { dataDir, listen: [listen] }];
}

const address = (name: string) => (value: string) => {
  if (!isAddress(value, { strict: false })) throw new InvalidArgumentError(`${name} must be an address`);
  return getAddress(value);
};

/**
 * `provider` command line. Every failure prints one `error: ...` line on
 * stderr and exits with code 1; no stack traces for the user.
 */
export function buildCli(): Command {
  const program = new Command("provider").description(
    "checkernet provider agent: serves challenges, registers and stakes",
  );

  program
    .command("init")
    .description("create the provider's EVM key, libp2p peer key and answer key in the data directory")
    .option("-d, --data-dir <dir>", "data directory", DEFAULT_DATA_DIR)
    .option(
      "--password-file <file>",
      "encrypt the key file with the first line of this file (or PROVIDER_PASSWORD)",
    )
    .option("--insecure-plaintext-keys", "store the secrets unencrypted (devnets and tests only)")
    .action(async (o: { dataDir: string; passwordFile?: string; insecurePlaintextKeys?: boolean }) => {
      const password = await resolvePassword(o.passwordFile);
      if ((password === undefined || password === "") && o.insecurePlaintextKeys !== true) {
        throw new InvalidArgumentError(
          "no password to encrypt the keys: give --password-file <file> or PROVIDER_PASSWORD, or --insecure-plaintext-keys to store them unencrypted",
        );
      }
      if (password === undefined || password === "")
        process.stderr.write(`warning: the secrets in ${o.dataDir} are stored unencrypted\n`);
      const keys = await initProviderKeys(o.dataDir, { password });
      print({
        address: keys.address,
        peerId: keys.peerId.toString(),
        answerKey: keys.answerKey,
        dataDir: o.dataDir,
      });
    });

  program
    .command("serve")
    .description("answer the challenge protocol on a libp2p host")
    .option("-d, --data-dir <dir>", "data directory", DEFAULT_DATA_DIR)
    .option("--password-file <file>", "key-file password file (or PROVIDER_PASSWORD)")
    .option(
      "--listen <multiaddr...>",
      "addresses to listen on",
      multiaddrs("--listen", DEFAULT_LISTEN),
      DEFAULT_LISTEN,
    )
    .option("--announce <multiaddr...>", "addresses to announce instead", multiaddrs("--announce"))
    .option("--fault <mode>", `behaviour for tests and demos: ${FAULT_MODE_SYNTAX}`, "honest")
    .option("--gpu-class <id>", "the GPU class registered (sets the VRAM dataset size)", "cpu-reference")
    .option("--workers <n>", "CPU backend worker threads (default: cores - 1)", int("--workers"))
    .option(
      "--vram-salt <hex32>",
      "epoch seed the VRAM dataset is derived from (fills memory before serving)",
      hex32("--vram-salt"),
    )
    .option("--epoch-seconds <s>", "epoch length, for offline-epochs", int("--epoch-seconds"))
    .option(
      "--genesis <unix-seconds>",
      "genesis time (start of epoch 1), for offline-epochs",
      int("--genesis"),
    )
    .option(
      "--chain-id <id>",
      "chain id of the answer-signing domain (deployment chainId)",
      int("--chain-id"),
    )
    .option(
      "--provider-registry <address>",
      "ProviderRegistry address: the answer-signing domain's verifying contract",
      address("--provider-registry"),
    )
    .option(
      "--also <data-dir=multiaddr...>",
      "serve another registered provider from this process: its data directory (keys; same password) and listen address",
      also,
    )
    .option("--log-level <level>", "pino log level", "info")
    .action(async (o: ServeFlags) => {
      const fault = parseFaultMode(o.fault);
      const password = await resolvePassword(o.passwordFile);
      const cls = gpuClass(o.gpuClass);
      if (fault.kind === "offline-epochs" && (o.epochSeconds === undefined || o.genesis === undefined)) {
        throw new InvalidArgumentError("--fault offline-epochs needs --epoch-seconds and --genesis");
      }
      const clock = serveEpochClock(o);
      const epochClock = (): bigint => clock.currentEpoch();
      const blockSize = DEFAULT_PARAMS.vramBlockSize;
      const blockCount = vramBlockCount(cls.vramBytes, blockSize, DEFAULT_PARAMS);
      const log = pino({ level: o.logLevel, base: { service: "provider" } });
      if ((o.chainId === undefined) !== (o.providerRegistry === undefined))
        throw new InvalidArgumentError("--chain-id and --provider-registry go together");
      const served = [
        { dataDir: o.dataDir, listen: o.listen, announce: o.announce },
        ...(o.also ?? []).map((a) => ({ ...a, announce: undefined })),
      ];
      const identities: AgentIdentity[] = [];
      for (const s of served) {
        const keys = await loadProviderKeys(s.dataDir, { password });
        const signer =
          keys.answerPrivateKey !== undefined && o.chainId !== undefined && o.providerRegistry !== undefined
            ? answerSigner(keys.answerPrivateKey, keys.address, {
                chainId: o.chainId,
                verifyingContract: o.providerRegistry,
              })
            : undefined;
        if (signer === undefined) {
          // A provider whose answer key is registered FAILs every matmul check it answers unsigned.
          log.warn(
            { address: keys.address, answerKey: keys.answerKey ?? null },
            keys.answerPrivateKey === undefined
              ? "no answer key in the key file: matmul commitments go unsigned"
              : "no --chain-id/--provider-registry: matmul commitments go unsigned",
          );
        }
        identities.push({
          address: keys.address,
          privateKey: keys.peerKey,
          listen: s.listen,
          ...(s.announce === undefined ? {} : { announce: s.announce }),
          ...(signer === undefined ? {} : { answerSigner: signer }),
          ...(o.vramSalt === undefined
            ? {}
            : { vram: { seed: vramDatasetSeed(keys.address, o.vramSalt), blockCount, blockSize } }),
        });
      }
      const agent = await runProviderAgent({
        identities,
        ...(o.workers === undefined ? {} : { workers: o.workers }),
        maxVramBytes: blockCount * blockSize,
        fault,
        faultOptions: { epochClock },
        log,
      });
      // One machine-readable line per provider for scripts and tests, whatever the log level.
      for (const [i, running] of agent.providers.entries()) {
        print({
          peerId: running.host.peerId.toString(),
          address: identities[i]?.address,
          addrs: running.host.getMultiaddrs().map(String),
        });
      }
      const shutdown = async (signal: string): Promise<void> => {
        log.info({ signal }, "stopping");
        await agent.stop();
        process.exit(0);
      };
      // SIGHUP: the terminal it ran in closed.
      for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const)
        process.once(signal, () => void shutdown(signal));
    });

  const chainCommand = (name: string, description: string) =>
    program
      .command(name)
      .description(description)
      .option("-d, --data-dir <dir>", "data directory", DEFAULT_DATA_DIR)
      .option("--password-file <file>", "key-file password file (or PROVIDER_PASSWORD)")
      .option(
        "--rpc <url>",
        "JSON-RPC endpoint (or PROVIDER_RPC_URL)",
        process.env.PROVIDER_RPC_URL ?? "http://127.0.0.1:8545",
      )
      .option(
        "--deployment <file>",
        "deployment JSON with contracts.{providerRegistry,rewardToken,slashing} (or PROVIDER_DEPLOYMENT)",
      );

  const connectWithKeys = async (o: ChainFlags) => {
    const file = o.deployment ?? process.env.PROVIDER_DEPLOYMENT;
    if (file === undefined)
      throw new InvalidArgumentError("--deployment <file> (or PROVIDER_DEPLOYMENT) is required");
    const contracts = await readDeployment(file);
    const keys = await loadProviderKeys(o.dataDir, { password: await resolvePassword(o.passwordFile) });
    return { chain: connectProviderChain(o.rpc, keys.evmPrivateKey, contracts), keys };
  };
  const connect = async (o: ChainFlags): Promise<{ chain: ProviderChain; peerId: string }> => {
    const { chain, keys } = await connectWithKeys(o);
    return { chain, peerId: keys.peerId.toString() };
  };

  chainCommand(
    "register",
    "register the peer id, claimed GPU class, region and answer key (with its proof of possession) on-chain",
  )
    .requiredOption("--gpu-class <id>", "GPU class id (packages/protocol gpu-classes.ts), e.g. h100-sxm")
    .requiredOption("--region <id>", "region id (packages/protocol regions.ts), e.g. eu-west")
    .option("--update", "replace an existing registration")
    .action(async (o: ChainFlags & { gpuClass: string; region: string; update?: boolean }) => {
      const { chain, keys } = await connectWithKeys(o);
      const peerId = keys.peerId.toString();
      const tx = await registerProvider(chain, {
        peerId,
        gpuClass: o.gpuClass,
        region: o.region,
        update: o.update === true,
      });
      // The answer key with its proof of possession (skipped when the registry already has it).
      const answer =
        keys.answerPrivateKey === undefined ? null : await registerAnswerKey(chain, keys.answerPrivateKey);
      print({
        tx,
        address: chain.account.address,
        peerId,
        gpuClass: o.gpuClass,
        region: o.region,
        answerKey: answer?.answerKey ?? null,
        answerKeyTx: answer?.tx ?? null,
        answerKeyFromEpoch: answer === null ? null : answer.fromEpoch.toString(),
      });
    });

  chainCommand("stake", "approve and stake reward tokens")
    .argument("<amount>", "tokens (18 decimals), e.g. 1000 or 0.5", tokens)
    .action(async (amount: bigint, o: ChainFlags) => {
      const { chain } = await connect(o);
      print({
        ...(await stakeTokens(chain, amount)),
        staked: String(amount),
        stakedTokens: formatTokens(amount),
      });
    });

  chainCommand("unstake", "move stake into unbonding, or --withdraw what has finished unbonding")
    .argument("[amount]", "tokens to unbond", tokens)
    .option("--withdraw", "withdraw the unbonded tokens instead")
    .action(async (amount: bigint | undefined, o: ChainFlags & { withdraw?: boolean }) => {
      const { chain } = await connect(o);
      if (o.withdraw === true) return print({ tx: await withdrawUnbonded(chain) });
      if (amount === undefined) throw new InvalidArgumentError("give an amount to unstake, or --withdraw");
      print({
        tx: await requestUnstake(chain, amount),
        unbonding: String(amount),
        unbondingTokens: formatTokens(amount),
      });
    });

  chainCommand(
    "status",
    "show the registration, stake, unbonding and open slashes (each with its contest deadline and command); amounts in tokens",
  ).action(async (o: ChainFlags) => {
    const { chain } = await connect(o);
    const [s, open] = await Promise.all([providerStatus(chain), openSlashes(chain)]);
    print({
      ...s,
      stake: String(s.stake),
      unbonding: String(s.unbonding),
      unbondingEndEpoch: s.unbondingEndEpoch.toString(),
      pendingSlashes: s.pendingSlashes.toString(),
      tokenBalance: String(s.tokenBalance),
      minStake: String(s.minStake),
      checking: {
        epoch: s.checking.epoch.toString(),
        now: s.checking.now,
        next: s.checking.next,
        from: s.checking.from?.toString() ?? null,
        until: s.checking.until?.toString() ?? null,
      },
      // For people: the amounts above (exact base units, 18 decimals) in tokens.
      tokens: {
        stake: formatTokens(s.stake),
        unbonding: formatTokens(s.unbonding),
        tokenBalance: formatTokens(s.tokenBalance),
        minStake: formatTokens(s.minStake),
      },
      currentEpoch: open.currentEpoch.toString(),
      openSlashes: open.slashes.map((x) => ({
        slashId: x.slashId.toString(),
        epoch: x.epoch.toString(),
        amount: String(x.amount),
        amountTokens: formatTokens(x.amount),
        status: x.status,
        ...(x.status === "pending"
          ? {
              contestDeadline: x.contestDeadline.toString(),
              contestable: open.currentEpoch <= x.contestDeadline,
              contest: contestCommand(x.epoch, o),
            }
          : { resolveDeadline: x.resolveDeadline.toString() }),
      })),
    });
  });

  chainCommand(
    "evidence",
    "fetch the checkers' signed attestations and transcripts for an epoch and check every claim",
  )
    .argument("<epoch>", "the epoch", int("<epoch>"))
    .requiredOption(
      "--checker <address@multiaddr...>",
      "a checker to ask: <address>@<multiaddr>/p2p/<registered peer id>",
    )
    .action(async (epoch: number, o: ChainFlags & { checker: string[] }) => {
      const targets = o.checker.map(parseCheckerTarget);
      const { chain, keys } = await connectWithKeys(o);
      const { checkerRegistry, epochReports } = chain.contracts;
      if (checkerRegistry === undefined || epochReports === undefined) {
        throw new InvalidArgumentError(
          "the deployment file needs contracts.checkerRegistry and contracts.epochReports for evidence",
        );
      }
      const sources = await evidenceSources(chain, checkerRegistry, targets);
      const chainId = BigInt(await chain.publicClient.getChainId());
      // Asks as the provider's own peer id, listening nowhere: evidence is public.
      const host = await createProviderHost({ privateKey: keys.peerKey, listen: [] });
      try {
        const findings = await collectEvidence(
          host,
          sources,
          { epoch: BigInt(epoch), provider: chain.account.address },
          {
            domain: { chainId, verifyingContract: epochReports },
            params: DEFAULT_PARAMS,
            bls: await loadBlsBackend("auto"),
            answerKey: await answerKeyAt(chain, BigInt(epoch), chainId),
          },
        );
        const summary = findings.map((f) => ({
          checker: f.checker,
          status: f.status,
          ...("reason" in f ? { reason: f.reason } : {}),
          ...("claimed" in f ? { claimed: f.claimed.attestation } : {}),
          ...("recomputed" in f
            ? { recomputed: { result: f.recomputed.result, reasons: f.recomputed.reasons } }
            : {}),
          ...("noRun" in f ? { noRun: f.noRun } : {}),
          ...("mismatches" in f ? { mismatches: f.mismatches } : {}),
          ...("fraudProof" in f && f.fraudProof !== undefined ? { fraudProof: f.fraudProof } : {}),
        }));
        print(JSON.parse(JSON.stringify(summary, (_k, v) => (typeof v === "bigint" ? v.toString() : v))));
      } finally {
        await host.stop();
      }
    });

  chainCommand(
    "contest",
    "post the bond and the disputed result leaf with its proof, then follow the re-check (a PASS refunds the bond and penalizes the leaf's accusers: the checkers that attested FAIL, not TIMEOUT)",
  )
    .argument("<epoch>", "the epoch whose report failed this provider", int("<epoch>"))
    .option(
      "--from-checker <multiaddr...>",
      "fetch the leaf and its proof from these checkers' published reports (checked against the chain)",
    )
    .option(
      "--leaf-file <file>",
      "or: JSON {leaf, proof}: this provider's result leaf of that report and its Merkle proof",
    )
    .option("--no-follow", "return once the contest is posted")
    .option("--poll-seconds <s>", "how often to look for the outcome", int("--poll-seconds"), 5)
    .action(
      async (
        epoch: number,
        o: ChainFlags & { leafFile?: string; fromChecker?: string[]; follow: boolean; pollSeconds: number },
      ) => {
        if ((o.leafFile === undefined) === (o.fromChecker === undefined)) {
          throw new InvalidArgumentError("give either --from-checker <multiaddr...> or --leaf-file <file>");
        }
        const { chain, keys } = await connectWithKeys(o);
        let leafAndProof: { leaf: ResultLeaf; proof: Hex[] };
        if (o.fromChecker !== undefined) {
          const checkers = o.fromChecker.map(parseCheckerAddress);
          const epochReports = chain.contracts.epochReports;
          if (epochReports === undefined) {
            throw new InvalidArgumentError(
              "the deployment file needs contracts.epochReports for --from-checker",
            );
          }
          const host = await createProviderHost({ privateKey: keys.peerKey, listen: [] });
          try {
            const fetched = await fetchResultLeaf(
              {
                host,
                checkers,
                roots: (e) => readReportRoots(chain, epochReports, e),
              },
              BigInt(epoch),
              chain.account.address,
            );
            // `failures` counts every failing attestation (FAIL or TIMEOUT); `accusers` are the FAIL ones only,
            // the checkers penalized if the re-check overturns the slash (docs/protocol/recheck.md).
            print({
              leafFrom: fetched.from,
              verdict: fetched.leaf.verdict,
              failures: fetched.leaf.failures,
              accusers: fetched.leaf.accusers,
            });
            leafAndProof = fetched;
          } finally {
            await host.stop();
          }
        } else {
          leafAndProof = await readLeafFile(o.leafFile as string);
        }
        const { leaf, proof } = leafAndProof;
        const receipt = await contestSlash(chain, { epoch: BigInt(epoch), leaf, proof });
        print({
          contested: receipt.slashId.toString(),
          bond: String(receipt.bond),
          bondTokens: formatTokens(receipt.bond),
          tx: receipt.contest,
          recheckEpoch: receipt.recheckEpoch.toString(),
          resolveDeadline: receipt.resolveDeadline.toString(),
        });
        if (!o.follow) return;
        const outcome = await followContest(chain, receipt.slashId, { pollMs: o.pollSeconds * 1000 });
        // As the lines above: exact integers (bond amounts in base units), and each bond also in tokens.
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(outcome)) {
          out[k] = typeof v === "bigint" ? v.toString() : v;
          if (typeof v === "bigint" && k.startsWith("bond")) out[`${k}Tokens`] = formatTokens(v);
        }
        print(out);
      },
    );

  return hintHelpOnError(program);
}

/**
 * A usage error (unknown flag, bad option value, missing argument) prints
 * commander's one `error: ...` line and a hint naming the command's own
 * `--help`, not the whole usage; the exit code stays 1.
 */
function hintHelpOnError(command: Command, path: string = command.name()): Command {
  command.showHelpAfterError(`(run \`${path} --help\` for the usage)`);
  for (const sub of command.commands) hintHelpOnError(sub, `${path} ${sub.name()}`);
  return command;
}

/** The contest command for a pending slash, with this invocation's own flags (a checker's multiaddr left to fill). */
function contestCommand(epoch: bigint, o: ChainFlags): string {
  const q = (v: string) => (/^[\w./:@=-]+$/.test(v) ? v : `'${v.replaceAll("'", "'\\''")}'`);
  const flags = [
    `-d ${q(o.dataDir)}`,
    `--rpc ${q(o.rpc)}`,
    ...(o.deployment === undefined ? [] : [`--deployment ${q(o.deployment)}`]),
    ...(o.passwordFile === undefined ? [] : [`--password-file ${q(o.passwordFile)}`]),
  ];
  return `provider contest ${epoch} ${flags.join(" ")} --from-checker <checker multiaddr>/p2p/<peer id>`;
}

interface ChainFlags {
  dataDir: string;
  passwordFile?: string;
  rpc: string;
  deployment?: string;
}

function tokens(value: string): bigint {
  if (!/^\d+(\.\d{1,18})?$/.test(value))
    throw new InvalidArgumentError("amount must be a decimal number of tokens");
  return parseUnits(value, 18);
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (err) {
    const message =
      err instanceof ProtocolError || err instanceof InvalidArgumentError
        ? err.message
        : String((err as Error).message ?? err);
    process.stderr.write(`error: ${message}\n`);
    process.exit(1);
  }
}

// Run when executed (bin/provider.js imports this module), not when a test imports buildCli.
if (process.argv[1] !== undefined && /(provider(\.js)?|cli\.ts)$/.test(process.argv[1]))
  await main(process.argv);
