import { copyFile } from "node:fs/promises";
import { join } from "node:path";
import { formatTokens } from "@checkernet/protocol/tokens";
import { Command, InvalidArgumentError, Option } from "commander";
import { fetchStatus } from "./api/server.ts";
import { CliError, CliErrorCode } from "./cli/cliError.ts";
import {
  type LocalNode,
  localNodeFlags,
  NODE_FILE_NAME,
  readLocalNode,
  removeLocalNode,
  writeLocalNode,
} from "./cli/localNode.ts";
import { addOwnerCommands } from "./cli/ownerCommands.ts";
import { fetchRewardTotals, formatRewardTotals, formatStatus } from "./cli/statusView.ts";
import {
  type CheckerConfig,
  loadConfig,
  NETWORK_FILE_NAME,
  networkFileOf,
  requireAddress,
  signingDomain,
  txKeyOf,
  ZERO_ADDRESS,
} from "./config.ts";
import { resolvePassword } from "./keys/password.ts";
import { importKeystore, initKeys, isWrongPassword, showKeys, unlockOperatorKey } from "./keys/store.ts";
import { resolveNetworkFile } from "./networkDefinition.ts";

/**
 * `checker` command line. Every failure prints one `error: ...` line on
 * stderr and exits with code 1; nothing prints a stack trace to the user.
 */
export function buildCli(): Command {
  const program = new Command("checker")
    .description("checkernet checker node: verifies GPU providers and signs attestations")
    .option("-c, --config <file>", "JSON config file (or CHECKER_CONFIG)")
    .option("-d, --data-dir <dir>", "data directory (or CHECKER_DATA_DIR; default ~/.checkernet)")
    .option(
      "--network <file|name>",
      "network definition (a file, or a name: devnet = this repository's .devnet/network.json, else packages/checker/networks/<name>.json): chain, RPC, contracts, genesis, epoch length, bootstrap peers (or CHECKER_NETWORK; default <data dir>/network.json when `init --network` put it there)",
    );

  /**
   * The config of -c, --network, the environment and the flags; without -c or --network (nor
   * CHECKER_CONFIG, CHECKER_NETWORK), a running node's node.json in the data directory fills in the
   * network values and the API's URL (`start` and `init` never read it).
   */
  const config = (flags: { faults?: string[]; ownNode?: boolean } = {}) => {
    const o = program.opts<{ config?: string; dataDir?: string; network?: string }>();
    const options = {
      ...(o.config === undefined ? {} : { file: o.config }),
      ...(o.network === undefined ? {} : { network: resolveNetworkFile(o.network) }),
    };
    const cfg = loadConfig({ ...options, flags: { dataDir: o.dataDir, faults: flags.faults } });
    lookup.dataDir = cfg.dataDir;
    const named =
      o.config !== undefined ||
      o.network !== undefined ||
      Boolean(process.env.CHECKER_CONFIG) ||
      Boolean(process.env.CHECKER_NETWORK);
    lookup.named = named;
    if (flags.ownNode === true || named) return cfg;
    const node = readLocalNode(cfg.dataDir);
    lookup.node = node;
    if (node === undefined) return cfg;
    return loadConfig({ ...options, flags: { ...localNodeFlags(node), dataDir: o.dataDir } });
  };

  program
    .command("init")
    .description("create the BLS operator key (EIP-2335 keystore) and the libp2p peer key")
    .option("--password-file <file>", "read the keystore password from the first line of this file")
    .option("--force", "replace existing keys")
    .addOption(new Option("--kdf-work <n>", "scrypt N (tests only)").argParser(Number).hideHelp())
    .action(async (o: { passwordFile?: string; force?: boolean; kdfWork?: number }) => {
      // Checked (with every field) before any key is made: a bad network file fails init, not start.
      const { dataDir } = config({ ownNode: true });
      const password = await resolvePassword({ passwordFile: o.passwordFile, confirm: true });
      const info = await initKeys({ dataDir, password, force: o.force === true, kdfWork: o.kdfWork });
      const named = program.opts<{ network?: string }>().network;
      const network = named === undefined ? undefined : resolveNetworkFile(named);
      // Kept in the data directory, so that `start` needs nothing but the keystore and its password.
      if (network !== undefined) await copyFile(network, join(dataDir, NETWORK_FILE_NAME));
      print({
        publicKey: info.publicKey,
        peerId: info.peerId,
        keystore: info.keystorePath,
        peerKey: info.peerKeyPath,
        ...(network === undefined ? {} : { network: join(dataDir, NETWORK_FILE_NAME) }),
      });
    });

  const keys = program
    .command("keys")
    .description("show the operator public key and the peer id")
    .option("--check-password", "also unlock the keystore to check the password")
    .option("--password-file <file>", "keystore password file")
    .action(async (o: { checkPassword?: boolean; passwordFile?: string }) => {
      const { dataDir } = config();
      const info = await showKeys(dataDir);
      if (o.checkPassword === true)
        await unlockOperatorKey(dataDir, await resolvePassword({ passwordFile: o.passwordFile }));
      print({ publicKey: info.publicKey, peerId: info.peerId });
    });
  keys
    .command("import <keystore>")
    .description("import an existing EIP-2335 keystore into the data directory")
    .option("--password-file <file>", "keystore password file")
    .option("--force", "replace an existing keystore")
    .action(async (file: string, o: { passwordFile?: string; force?: boolean }) => {
      const { dataDir } = config();
      // `keys` has its own --password-file; commander may hand the flag to it.
      const passwordFile = o.passwordFile ?? keys.opts<{ passwordFile?: string }>().passwordFile;
      const password = await resolvePassword({ passwordFile });
      const info = await importKeystore({ dataDir, file, password, force: o.force === true });
      print({ publicKey: info.publicKey, peerId: info.peerId, keystore: info.keystorePath });
    });

  program
    .command("register")
    .description(
      "register this node's operator on-chain: BLS key with its proof of possession and the peer id, paid by txPrivateKey's account (the operator address)",
    )
    .option("--password-file <file>", "keystore password file (or CHECKER_PASSWORD, or a prompt)")
    .action(async (o: { passwordFile?: string }) => {
      const cfg = config();
      const checkerRegistry = cfg.checkerRegistry;
      if (checkerRegistry === undefined || cfg.verifyingContract === undefined)
        throw new Error("set checkerRegistry and verifyingContract (the deployment's addresses) to register");
      const secretKey = await unlockOperatorKey(
        cfg.dataDir,
        await resolvePassword({ passwordFile: o.passwordFile }),
      );
      const { peerId } = await showKeys(cfg.dataDir);
      const [
        { createPublicClient },
        { chainTransport },
        { ownerWallet },
        { registerOperator },
        { loadBlsBackend },
      ] = await Promise.all([
        import("viem"),
        import("./chain/transport.ts"),
        import("./cli/wallet.ts"),
        import("./chain/actions/registerOperator.ts"),
        import("@checkernet/protocol/bls/index"),
      ]);
      const client = createPublicClient({
        transport: chainTransport(cfg.rpcUrl, { fallbacks: cfg.rpcFallbackUrls }),
      });
      const wallet = await ownerWallet(cfg, client, "register");
      const result = await registerOperator(client, wallet, await loadBlsBackend("auto"), {
        checkerRegistry,
        domain: signingDomain(cfg),
        secretKey,
        peerId,
      });
      print({
        operator: result.operator,
        peerId,
        tx: result.hash,
        gasUsed: String(result.gasUsed),
        next:
          cfg.operatorAddress?.toLowerCase() === result.operator.toLowerCase()
            ? "ask license owners to `checker license delegate <id> <operator>`, then `checker start`"
            : `set operatorAddress to ${result.operator} in the config, then start`,
      });
    });

  program
    .command("start")
    .description("run the checker node until SIGINT, SIGTERM or SIGHUP")
    .option("--password-file <file>", "keystore password file (or CHECKER_PASSWORD, or a prompt)")
    .option("--no-operator-key", "run without unlocking the operator key (relay and observe only)")
    .option(
      "--fault <spec>",
      "adversarial test mode, repeatable: lie-fail:<providerAddress> attests FAIL for it whatever was measured; vouch-pass attests PASS for all",
      (spec: string, all: string[]) => [...all, spec],
      [] as string[],
    )
    .action(async (o: { passwordFile?: string; operatorKey: boolean; fault: string[] }) => {
      const cfg = config({ ownNode: true, ...(o.fault.length > 0 ? { faults: o.fault } : {}) });
      // The node pulls in the whole libp2p stack: load it only for `start`.
      const [{ CheckerNode }, { createLogger }] = await Promise.all([
        import("./node.ts"),
        import("@checkernet/runtime"),
      ]);
      await (await import("./cli/licenseLimit.ts")).checkLicenseLimit(cfg);
      const logger = createLogger({ level: cfg.logLevel });
      // The network's rules, checked against the chain's once, before the key is unlocked (cli/startParams.ts).
      const named = program.opts<{ network?: string }>().network;
      const params = await (await import("./cli/startParams.ts")).startParams(
        cfg,
        networkFileOf(named === undefined ? {} : { network: resolveNetworkFile(named) }, cfg.dataDir),
        logger,
      );
      const operatorSecretKey = o.operatorKey
        ? await unlockOperatorKey(cfg.dataDir, await resolvePassword({ passwordFile: o.passwordFile }))
        : undefined;
      const node = await CheckerNode.create({
        config: cfg,
        logger,
        params,
        ...(operatorSecretKey === undefined ? {} : { operatorSecretKey }),
      });
      await node.start();
      // Tells status, rewards, claim and license on this machine where the node's API is (cli/localNode.ts).
      writeLocalNode(cfg, node.api?.url());
      try {
        await new Promise<void>((resolve) => {
          const stop = (signal: string) => {
            logger.info({ signal }, "shutting down");
            resolve();
          };
          // SIGHUP: the terminal it ran in closed.
          for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const)
            process.once(signal, () => stop(signal));
        });
      } finally {
        removeLocalNode(cfg.dataDir);
      }
      await node.stop();
    });

  program
    .command("rewards")
    .description(
      "license rewards from the reports this node stored: claimable, locked (until the epoch's penalties are final) and claimed, per license",
    )
    .option(
      "--owner <address>",
      "license owner (default: the txPrivateKey account; else the operator's licenses)",
    )
    .option("--url <url>", "a running node's API, used when its database is locked", apiUrl)
    .action(async (o: { owner?: string; url?: string }) => {
      const cfg = config();
      // Checked before the chain is read: a bad --owner is named even when the RPC is down.
      const ownerFlag = o.owner === undefined ? undefined : parseAddress(o.owner, "--owner");
      const { client, contracts, stored } = await rewardsContext(cfg, o.url);
      const { licenseRewards, summarizeRewards } = await import("./rewards/licenseRewards.ts");
      const txKey = txKeyOf(cfg);
      const owner =
        ownerFlag !== undefined
          ? ownerFlag
          : txKey === undefined
            ? undefined
            : (await import("viem/accounts")).privateKeyToAccount(txKey).address;
      const operator = cfg.operatorAddress ?? ZERO_ADDRESS;
      const rewards = await licenseRewards(client, contracts, stored, {
        ...(owner === undefined ? { operator } : { owner }),
      });
      const licenses = summarizeRewards(rewards);
      print({
        owner: owner ?? null,
        operator,
        licenses: licenses.map((l) => ({
          ...l,
          claimable: String(l.claimable),
          locked: String(l.locked),
          claimed: String(l.claimed),
        })),
        claimable: String(licenses.reduce((s, l) => s + l.claimable, 0n)),
        locked: String(licenses.reduce((s, l) => s + l.locked, 0n)),
        // For people: the same totals in tokens (the fields above stay exact base units, 18 decimals).
        tokens: {
          claimable: formatTokens(licenses.reduce((s, l) => s + l.claimable, 0n)),
          locked: formatTokens(licenses.reduce((s, l) => s + l.locked, 0n)),
        },
      });
    });

  program
    .command("claim")
    .description(
      "claim every unclaimed license reward the txPrivateKey account owns (Merkle proofs, one transaction); or print it unsigned for an external signer (--print-tx) and broadcast what it signed (--send-raw)",
    )
    .option("--license <id>", "only this license")
    .option("--url <url>", "a running node's API, used when its database is locked", apiUrl)
    .option(
      "--print-tx",
      "print the unsigned claim transaction (to, data, value, chainId, nonce, gas, fees) for an external signer instead of sending it; the owner's key stays off this machine",
    )
    .option(
      "--owner <address>",
      "with --print-tx: the license owner who will sign (default: the txPrivateKey account)",
    )
    .option("--send-raw <hex|file>", "broadcast a signed claim transaction (0x-hex, or a file holding it)")
    .action(
      async (o: { license?: string; url?: string; printTx?: boolean; owner?: string; sendRaw?: string }) => {
        const cfg = config();
        if (o.license !== undefined && !/^\d+$/.test(o.license))
          throw new CliError(
            CliErrorCode.BAD_FLAG,
            `--license "${o.license}" is not a license id; expected a decimal integer`,
          );
        if (o.sendRaw !== undefined) {
          if (o.printTx === true)
            throw new CliError(
              CliErrorCode.BAD_FLAG,
              "--send-raw and --print-tx: give one (print, sign elsewhere, then send)",
            );
          const { readSignedTx, sendSignedClaim } = await import("./cli/claimTx.ts");
          const raw = await readSignedTx(o.sendRaw);
          const { client } = await chainClient(cfg);
          return print(await sendSignedClaim(client, requireAddress(cfg, "rewardsContract"), raw));
        }
        if (o.printTx === true) {
          const txKey = txKeyOf(cfg);
          const owner =
            o.owner !== undefined
              ? parseAddress(o.owner, "--owner")
              : txKey !== undefined
                ? (await import("viem/accounts")).privateKeyToAccount(txKey).address
                : undefined;
          if (owner === undefined)
            throw new CliError(
              CliErrorCode.MISSING_FLAG,
              "--print-tx needs the license owner who will sign: checker claim --print-tx --owner <0x address>",
            );
          const { client, contracts, stored } = await rewardsContext(cfg, o.url);
          const [{ claimableBy }, { unsignedClaimTx }] = await Promise.all([
            import("./rewards/licenseRewards.ts"),
            import("./cli/claimTx.ts"),
          ]);
          const claims = await claimableBy(client, contracts, stored, owner, {
            ...(o.license === undefined ? {} : { licenseId: BigInt(o.license) }),
          });
          return print(await unsignedClaimTx(client, contracts.rewards, owner, claims));
        }
        if (o.owner !== undefined)
          throw new CliError(
            CliErrorCode.BAD_FLAG,
            "--owner goes with --print-tx (a claim without it is signed by txPrivateKey)",
          );
        // Checked before the chain is read, so a missing key fails fast; ownerWallet checks it again.
        if (txKeyOf(cfg) === undefined)
          throw new Error("no EVM key to claim with: set CHECKER_TX_KEY or txKeyFile");
        const { client, contracts, stored } = await rewardsContext(cfg, o.url);
        const [{ claimAll }, { ownerWallet }] = await Promise.all([
          import("./rewards/licenseRewards.ts"),
          import("./cli/wallet.ts"),
        ]);
        const wallet = await ownerWallet(cfg, client, "claim");
        const result = await claimAll(client, wallet, contracts, stored, {
          ...(o.license === undefined ? {} : { licenseId: BigInt(o.license) }),
        });
        print({
          tx: result.hash,
          claims: result.claims,
          amount: String(result.amount),
          amountTokens: formatTokens(result.amount),
          gasUsed: String(result.gasUsed),
        });
      },
    );

  program
    .command("status")
    .description("show the running node's status (reads its local HTTP API)")
    .option("--url <url>", "status API base URL (default http://<apiHost>:<apiPort> from the config)", apiUrl)
    .option("--json", "print the status API's JSON instead of the summary")
    .action(async (o: { url?: string; json?: boolean }) => {
      const cfg = config();
      if (o.url === undefined && cfg.apiPort === 0)
        throw new Error("the status API is off (apiPort = 0); pass --url");
      const base = o.url ?? `http://${cfg.apiHost}:${cfg.apiPort}`;
      const status = await fetchStatus(base).catch((e: unknown) => {
        if (o.url !== undefined || lookup.node !== undefined || lookup.named) throw e;
        throw new CliError(
          CliErrorCode.NO_NODE,
          `cannot reach the node's status API at ${base}, and ${cfg.dataDir} has no ${NODE_FILE_NAME} of a live \`checker start\`; pass its data directory or API: checker -d <its data dir> status, or checker status --url http://127.0.0.1:9701`,
        );
      });
      if (o.json === true) return print(status as unknown as Record<string, unknown>);
      process.stdout.write(formatStatus(status));
      process.stdout.write(formatRewardTotals(await fetchRewardTotals(base)));
    });

  addOwnerCommands(program, () => config(), print);

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

/** `--url`: an http(s) URL, checked before anything is fetched from it. */
function apiUrl(value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:"))
    throw new InvalidArgumentError(
      "--url must be an http(s) URL of a node's API, e.g. http://127.0.0.1:9701",
    );
  return value;
}

function parseAddress(raw: string, what: string): `0x${string}` {
  if (!/^0x[0-9a-fA-F]{40}$/.test(raw))
    throw new CliError(
      CliErrorCode.BAD_FLAG,
      `${what} "${raw}" is not an address; expected a 20-byte hex address (0x and 40 hex digits)`,
    );
  return raw as `0x${string}`;
}

/** The chain client, the reward contracts and the stored leaves (database, or the running node's API). */
async function rewardsContext(cfg: CheckerConfig, url: string | undefined) {
  const contracts = {
    epochReports: requireAddress(cfg, "verifyingContract"),
    rewards: requireAddress(cfg, "rewardsContract"),
    checkerLicense: requireAddress(cfg, "checkerLicense"),
  };
  const [rewards, { CheckerDb }] = await Promise.all([
    import("./rewards/licenseRewards.ts"),
    import("./db/checkerDb.ts"),
  ]);
  const { client } = await chainClient(cfg);
  let lastEpoch: bigint;
  try {
    const { epochReportsAbi } = await import("@checkernet/contracts/generated/index");
    lastEpoch = await client.readContract({
      address: contracts.epochReports,
      abi: epochReportsAbi,
      functionName: "currentEpoch",
    });
  } catch (e) {
    throw new Error(
      `cannot read the chain at ${cfg.rpcUrl}: ${(e as { shortMessage?: string }).shortMessage ?? (e as Error).message}`,
    );
  }
  let stored: Awaited<ReturnType<typeof rewards.storedRewardsFromDb>>;
  try {
    const db = await CheckerDb.open({ dataDir: cfg.dataDir });
    try {
      stored = await rewards.storedRewardsFromDb(db, lastEpoch);
    } finally {
      await db.close();
    }
  } catch (e) {
    // A running node holds the database lock: ask it instead.
    if (!/lock/i.test(String((e as Error).message) + String((e as { cause?: Error }).cause?.message)))
      throw e;
    stored = await rewards.storedRewardsFromApi(url ?? `http://${cfg.apiHost}:${cfg.apiPort}`);
  }
  return { client, contracts, stored };
}

/** A public client on the config's RPC with the node's deadlines. */
async function chainClient(cfg: CheckerConfig): Promise<{ client: import("viem").PublicClient }> {
  const [{ createPublicClient }, { chainTransport }] = await Promise.all([
    import("viem"),
    import("./chain/transport.ts"),
  ]);
  const client = createPublicClient({
    transport: chainTransport(cfg.rpcUrl, { fallbacks: cfg.rpcFallbackUrls }),
  });
  return { client: client as unknown as import("viem").PublicClient };
}

function print(value: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** One line for the user; the code for scripts. */
export function describeError(e: unknown): string {
  if (isWrongPassword(e)) return "wrong password for the keystore";
  // One line: an RPC's message may span several.
  return (e instanceof Error ? e.message : String(e)).replace(/\s*\n\s*/g, " ");
}

/** Where `config()` looked, for the hint of a missing field. */
const lookup: { dataDir?: string; named?: boolean; node?: LocalNode | undefined } = {};

/**
 * "X is not configured" from a command that read no config file and found no running node: say which
 * flag is missing and show the command that would work.
 */
function withConfigHint(e: unknown, argv: string[]): unknown {
  const field = e instanceof Error ? /^(\w+) is not configured$/.exec(e.message)?.[1] : undefined;
  if (field === undefined || lookup.named === true || lookup.node !== undefined) return e;
  return new CliError(
    CliErrorCode.MISSING_FLAG,
    `${field} is not configured: no -c <config.json> or --network <network.json> given and no running node's ${NODE_FILE_NAME} in ${lookup.dataDir ?? "the data directory"}; e.g. checker --network network.json ${argv.slice(2).join(" ")}`,
  );
}

export async function main(argv: string[] = process.argv): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (e) {
    process.stderr.write(`error: ${describeError(withConfigHint(e, argv))}\n`);
    process.exitCode = 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.env.CHECKER_CLI_MAIN === "1") {
  await main();
}
