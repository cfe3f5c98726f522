import type { Command } from "commander";
import type { Address, PublicClient } from "viem";
import { type CheckerConfig, requireAddress, txKeyOf } from "../config.ts";
import { CliError, CliErrorCode } from "./cliError.ts";

/**
 * The license holder's commands: `license list | delegate | undelegate` and
 * `explain`. Kept beside cli.ts so the owner flows live in one file; each
 * prints JSON on stdout, and every refusal is one `error: ...` line
 * (ChainActionError messages from chain/actions/revertMessages.ts).
 */
export function addOwnerCommands(
  program: Command,
  config: () => CheckerConfig,
  print: (value: Record<string, unknown>) => void,
): void {
  const license = program
    .command("license")
    .description("licenses: list, delegate to an operator, undelegate");

  license
    .command("list")
    .description(
      "licenses owned (default: the txPrivateKey account; all with --all), their operator, weight and cool-down",
    )
    .option("--owner <address>", "list the licenses of this owner")
    .option("--all", "list every minted license")
    .action(async (o: { owner?: string; all?: boolean }) => {
      const cfg = config();
      const { client, contracts } = await chainContext(cfg);
      const { listLicenses, rpcDown } = await import("./license.ts");
      let owner: Address | undefined;
      if (o.owner !== undefined) owner = parseAddress(o.owner, "--owner");
      else if (o.all !== true) owner = await defaultOwner(cfg);
      print(
        await listLicenses(client, contracts, owner).catch((e: unknown) =>
          Promise.reject(rpcDown(e, cfg.rpcUrl)),
        ),
      );
    });

  license
    .command("delegate <id> <operator>")
    .description("delegate license <id> to <operator> (paid by the owner's txPrivateKey)")
    .action(async (id: string, operator: string) => {
      const cfg = config();
      const { delegate, parseLicenseId, rpcDown } = await import("./license.ts");
      const licenseId = parseLicenseId(id);
      const op = parseAddress(operator, "operator");
      const { client, contracts } = await chainContext(cfg);
      const wallet = await (await import("./wallet.ts")).ownerWallet(cfg, client, "delegate");
      print(
        await delegate(client, wallet, contracts, licenseId, op).catch((e: unknown) =>
          Promise.reject(rpcDown(e, cfg.rpcUrl)),
        ),
      );
    });

  license
    .command("undelegate <id>")
    .description("end license <id>'s delegation (it then cools down before it can be delegated again)")
    .action(async (id: string) => {
      const cfg = config();
      const { undelegate, parseLicenseId, rpcDown } = await import("./license.ts");
      const licenseId = parseLicenseId(id);
      const { client, contracts } = await chainContext(cfg);
      const wallet = await (await import("./wallet.ts")).ownerWallet(cfg, client, "undelegate");
      print(
        await undelegate(client, wallet, contracts, licenseId).catch((e: unknown) =>
          Promise.reject(rpcDown(e, cfg.rpcUrl)),
        ),
      );
    });

  program
    .command("explain")
    .description(
      "why a license earned what it did (--license ID [--from E --to E]) or a provider's score and slash (--provider ADDR --epoch E)",
    )
    .option("--license <id>", "license id")
    .option("--from <epoch>", "first epoch (default 1)")
    .option("--to <epoch>", "last epoch (default: the last finished one)")
    .option("--provider <address>", "provider address")
    .option("--epoch <epoch>", "epoch (with --provider)")
    .option("--url <url>", "a running node's API, used when its database is locked")
    .action(
      async (o: {
        license?: string;
        from?: string;
        to?: string;
        provider?: string;
        epoch?: string;
        url?: string;
      }) => {
        const cfg = config();
        const query = explainQuery(o);
        const { client, contracts } = await chainContext(cfg);
        const [{ CheckerDb }, { readReportRecord }, service, { rpcDown }] = await Promise.all([
          import("../db/checkerDb.ts"),
          import("../reports/aggregatorRecords.ts"),
          import("../reports/explainService.ts"),
          import("./license.ts"),
        ]);
        let db: Awaited<ReturnType<typeof CheckerDb.open>>;
        try {
          db = await CheckerDb.open({ dataDir: cfg.dataDir });
        } catch (e) {
          if (!/lock/i.test(String((e as Error).message) + String((e as { cause?: Error }).cause?.message)))
            throw e;
          // A running node holds the database: it answers the same question over its API.
          print(await explainFromApi(o.url ?? `http://${cfg.apiHost}:${cfg.apiPort}`, query));
          return;
        }
        try {
          const c = {
            publicClient: client,
            contracts: { epochReports: contracts.epochReports, rewards: contracts.rewards },
            recordOf: (epoch: bigint) => readReportRecord(db, epoch),
          };
          const result =
            "license" in query
              ? await service.explainLicenseRange(c, query.license, query)
              : await service.explainProviderEpoch(c, query.provider, query.epoch);
          print(JSON.parse(JSON.stringify(result, (_k, v) => (typeof v === "bigint" ? v.toString() : v))));
        } catch (e) {
          throw rpcDown(e, cfg.rpcUrl);
        } finally {
          await db.close();
        }
      },
    );
}

type ExplainQuery = { license: bigint; from?: bigint; to?: bigint } | { provider: Address; epoch: bigint };

function epochOption(raw: string | undefined, name: string): bigint | undefined {
  if (raw === undefined) return undefined;
  if (!/^[1-9]\d{0,19}$/.test(raw))
    throw new CliError(
      CliErrorCode.BAD_FLAG,
      `${name} "${raw}" is not an epoch; expected an epoch number ≥ 1`,
    );
  return BigInt(raw);
}

function explainQuery(o: {
  license?: string;
  from?: string;
  to?: string;
  provider?: string;
  epoch?: string;
}): ExplainQuery {
  if (o.license !== undefined && o.provider !== undefined)
    throw new CliError(
      CliErrorCode.BAD_FLAG,
      "--license and --provider: give one (checker explain --license <id>, or checker explain --provider <0x address> --epoch <n>)",
    );
  if (o.license !== undefined) {
    if (!/^\d{1,78}$/.test(o.license))
      throw new CliError(
        CliErrorCode.BAD_FLAG,
        `--license "${o.license}" is not a license id; expected a decimal integer`,
      );
    const from = epochOption(o.from, "--from");
    const to = epochOption(o.to, "--to");
    return {
      license: BigInt(o.license),
      ...(from === undefined ? {} : { from }),
      ...(to === undefined ? {} : { to }),
    };
  }
  if (o.provider !== undefined) {
    const provider = parseAddress(o.provider, "--provider");
    const epoch = epochOption(o.epoch, "--epoch");
    if (epoch === undefined)
      throw new CliError(
        CliErrorCode.MISSING_FLAG,
        `--provider needs --epoch: e.g. checker explain --provider ${provider} --epoch <n>`,
      );
    return { provider, epoch };
  }
  throw new CliError(
    CliErrorCode.MISSING_FLAG,
    "explain what? no --license and no --provider: e.g. checker explain --license <id> [--from <epoch> --to <epoch>], or checker explain --provider <0x address> --epoch <n>",
  );
}

async function explainFromApi(baseUrl: string, q: ExplainQuery): Promise<Record<string, unknown>> {
  const params = new URLSearchParams();
  if ("license" in q) {
    params.set("license", String(q.license));
    if (q.from !== undefined) params.set("from", String(q.from));
    if (q.to !== undefined) params.set("to", String(q.to));
  } else {
    params.set("provider", q.provider);
    params.set("epoch", String(q.epoch));
  }
  let res: Response;
  try {
    res = await fetch(`${baseUrl}/explain?${params}`, { signal: AbortSignal.timeout(60_000) });
  } catch (e) {
    throw new Error(`cannot reach the node's API at ${baseUrl}: ${(e as Error).message}`);
  }
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) throw new Error(String(body.error ?? `the node's API answered HTTP ${res.status}`));
  return body;
}

function parseAddress(raw: string, what: string): Address {
  if (!/^0x[0-9a-fA-F]{40}$/.test(raw))
    throw new CliError(
      CliErrorCode.BAD_FLAG,
      `${what} "${raw}" is not an address; expected a 20-byte hex address (0x and 40 hex digits)`,
    );
  return raw as Address;
}

async function defaultOwner(cfg: CheckerConfig): Promise<Address> {
  const key = txKeyOf(cfg);
  if (key === undefined)
    throw new CliError(
      CliErrorCode.MISSING_FLAG,
      "whose licenses? no --owner, no --all and no txPrivateKey (CHECKER_TX_KEY): e.g. checker license list --owner <0x address>",
    );
  return (await import("viem/accounts")).privateKeyToAccount(key).address;
}

async function chainContext(cfg: CheckerConfig) {
  const contracts = {
    checkerLicense: requireAddress(cfg, "checkerLicense"),
    checkerRegistry: requireAddress(cfg, "checkerRegistry"),
    epochReports: requireAddress(cfg, "verifyingContract"),
    rewards: requireAddress(cfg, "rewardsContract"),
  };
  const [{ createPublicClient }, { chainTransport }] = await Promise.all([
    import("viem"),
    import("../chain/transport.ts"),
  ]);
  return {
    client: createPublicClient({
      transport: chainTransport(cfg.rpcUrl, { fallbacks: cfg.rpcFallbackUrls }),
    }) as unknown as PublicClient,
    contracts,
  };
}
