import { Command, Option } from "commander";
import { fetchStatus } from "./api/server.ts";
import { ConfigError, loadConfig } from "./config.ts";
import { PasswordError, resolvePassword } from "./keys/password.ts";
import {
  importKeystore,
  initKeys,
  isWrongPassword,
  KeysError,
  showKeys,
  unlockOperatorKey,
} from "./keys/store.ts";

/**
 * `checker` command line. Every failure prints one `error: ...` line on
 * stderr and exits with code 1; nothing prints a stack trace to the user.
 */
export function buildCli(): Command {
  const program = new Command("checker")
    .description("checkernet checker node: verifies GPU providers and signs attestations")
    .option("-c, --config <file>", "JSON config file (or CHECKER_CONFIG)")
    .option("-d, --data-dir <dir>", "data directory (or CHECKER_DATA_DIR; default ~/.checkernet)")
    .showHelpAfterError();

  const config = () => {
    const o = program.opts<{ config?: string; dataDir?: string }>();
    return loadConfig({
      ...(o.config === undefined ? {} : { file: o.config }),
      flags: { dataDir: o.dataDir },
    });
  };

  program
    .command("init")
    .description("create the BLS operator key (EIP-2335 keystore) and the libp2p peer key")
    .option("--password-file <file>", "read the keystore password from the first line of this file")
    .option("--force", "replace existing keys")
    .addOption(new Option("--kdf-work <n>", "scrypt N (tests only)").argParser(Number).hideHelp())
    .action(async (o: { passwordFile?: string; force?: boolean; kdfWork?: number }) => {
      const { dataDir } = config();
      const password = await resolvePassword({ passwordFile: o.passwordFile, confirm: true });
      const info = await initKeys({ dataDir, password, force: o.force === true, kdfWork: o.kdfWork });
      print({
        publicKey: info.publicKey,
        peerId: info.peerId,
        keystore: info.keystorePath,
        peerKey: info.peerKeyPath,
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
    .command("start")
    .description("run the checker node until SIGINT/SIGTERM")
    .option("--password-file <file>", "keystore password file (or CHECKER_PASSWORD, or a prompt)")
    .option("--no-operator-key", "run without unlocking the operator key (relay and observe only)")
    .action(async (o: { passwordFile?: string; operatorKey: boolean }) => {
      const cfg = config();
      // The node pulls in the whole libp2p stack: load it only for `start`.
      const [{ CheckerNode }, { createLogger }] = await Promise.all([
        import("./node.ts"),
        import("./logger.ts"),
      ]);
      const logger = createLogger({ level: cfg.logLevel });
      const operatorSecretKey = o.operatorKey
        ? await unlockOperatorKey(cfg.dataDir, await resolvePassword({ passwordFile: o.passwordFile }))
        : undefined;
      const node = await CheckerNode.create({
        config: cfg,
        logger,
        ...(operatorSecretKey === undefined ? {} : { operatorSecretKey }),
      });
      await node.start();
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          logger.info({ signal }, "shutting down");
          resolve();
        };
        process.once("SIGINT", () => stop("SIGINT"));
        process.once("SIGTERM", () => stop("SIGTERM"));
      });
      await node.stop();
    });

  program
    .command("status")
    .description("show the running node's status (reads its local HTTP API)")
    .option("--url <url>", "status API base URL (default http://<apiHost>:<apiPort> from the config)")
    .action(async (o: { url?: string }) => {
      const cfg = config();
      if (o.url === undefined && cfg.apiPort === 0)
        throw new Error("the status API is off (apiPort = 0); pass --url");
      const status = await fetchStatus(o.url ?? `http://${cfg.apiHost}:${cfg.apiPort}`);
      print(status as unknown as Record<string, unknown>);
    });

  return program;
}

function print(value: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** One line for the user; the code for scripts. */
export function describeError(e: unknown): string {
  if (isWrongPassword(e)) return "wrong password for the keystore";
  if (e instanceof ConfigError || e instanceof KeysError || e instanceof PasswordError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}

export async function main(argv: string[] = process.argv): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (e) {
    process.stderr.write(`error: ${describeError(e)}\n`);
    process.exitCode = 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.env.CHECKER_CLI_MAIN === "1") {
  await main();
}
