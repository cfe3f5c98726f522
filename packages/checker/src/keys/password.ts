import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { CheckerError } from "../errors.ts";

export class PasswordError extends CheckerError {
  override name = "PasswordError";
}

export interface PasswordSources {
  passwordFile?: string;
  env?: NodeJS.ProcessEnv;
  /** Ask twice and compare (for new keystores). */
  confirm?: boolean;
  input?: NodeJS.ReadableStream & { isTTY?: boolean };
  output?: NodeJS.WritableStream;
}

/**
 * The keystore password: --password-file (first line), else CHECKER_PASSWORD,
 * else a prompt on the terminal with echo off. Services without a terminal
 * must use one of the first two.
 */
export async function resolvePassword(sources: PasswordSources = {}): Promise<string> {
  if (sources.passwordFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(sources.passwordFile, "utf8");
    } catch (e) {
      throw new PasswordError(`cannot read password file ${sources.passwordFile}: ${(e as Error).message}`);
    }
    const password = text.split(/\r?\n/)[0] ?? "";
    if (password.length === 0) throw new PasswordError(`password file ${sources.passwordFile} is empty`);
    return password;
  }
  const env = sources.env ?? process.env;
  if (env.CHECKER_PASSWORD !== undefined && env.CHECKER_PASSWORD !== "") return env.CHECKER_PASSWORD;
  const input = sources.input ?? process.stdin;
  const output = sources.output ?? process.stderr;
  if (input.isTTY !== true) {
    throw new PasswordError(
      "no password given: use --password-file, set CHECKER_PASSWORD, or run in a terminal",
    );
  }
  const first = await prompt("Keystore password: ", input, output);
  if (first.length === 0) throw new PasswordError("the password must not be empty");
  if (sources.confirm === true) {
    const second = await prompt("Repeat password: ", input, output);
    if (second !== first) throw new PasswordError("the passwords do not match");
  }
  return first;
}

function prompt(
  question: string,
  input: NodeJS.ReadableStream,
  output: NodeJS.WritableStream,
): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input, output, terminal: true });
    // Echo off: print the question, swallow the typed characters.
    const write = (output as { write: (s: string) => boolean }).write.bind(output);
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
      if (s.includes(question)) write(question);
    };
    rl.question(question, (answer) => {
      rl.close();
      write("\n");
      resolve(answer);
    });
  });
}
