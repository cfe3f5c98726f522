import { ProviderError } from "../errors.ts";

/**
 * The behaviours a provider can be told to show, for tests, demos and the
 * simulator's real-mesh runs. Everything but `honest` is a deliberate fault
 * that the checkers must catch.
 */
export type FaultMode =
  | { kind: "honest" }
  /** Wrong answers on this fraction of challenges (each challenge drawn independently). */
  | { kind: "wrong-results"; fraction: number }
  /** This fraction of C's rows computed wrongly in every matmul, committed (and signed) as if right. */
  | { kind: "wrong-rows"; fraction: number }
  /** Compute answers take `factor` times as long as the honest backend needs (a slower GPU than claimed). */
  | { kind: "slow"; factor: number }
  /** Unreachable during the epochs the schedule names. */
  | { kind: "offline-epochs"; schedule: EpochSchedule }
  /** Accepts challenges and trickles answer bytes forever, so that only a total deadline catches it. */
  | { kind: "ghost" }
  /** Answers only this fraction of checkers (chosen by peer id); the others see a dead provider. */
  | { kind: "selective"; fraction: number };

/** Which epochs an `offline-epochs` provider is down in: an explicit set, or `epoch % every === offset`. */
export type EpochSchedule =
  | { kind: "list"; epochs: ReadonlySet<bigint> }
  | { kind: "every"; every: bigint; offset: bigint };

export const FaultModeErrorCode = {
  INVALID: "FAULT_MODE_ERROR_INVALID",
} as const;
export type FaultModeErrorCode = (typeof FaultModeErrorCode)[keyof typeof FaultModeErrorCode];

export class FaultModeError extends ProviderError<FaultModeErrorCode> {
  override name = "FaultModeError";
}

/** The flag's accepted forms, quoted in every error message. */
export const FAULT_MODE_SYNTAX =
  "honest | wrong-results:<fraction 0..1> | wrong-rows:<fraction 0..1> | slow:<factor >= 1> | offline-epochs:<list like 3,5,7-9 | every:<k>[+<offset>]> | ghost | selective:<fraction 0..1>";

/** Largest range an epoch list may expand to, so a typo like `1-99999999999` cannot eat the memory. */
const MAX_LISTED_EPOCHS = 100_000;

/**
 * Parses the `--fault` flag.
 *
 * @example
 * parseFaultMode("wrong-results:0.25") // { kind: "wrong-results", fraction: 0.25 }
 * parseFaultMode("offline-epochs:every:3+1") // down in epochs 1, 4, 7, ...
 */
export function parseFaultMode(text: string): FaultMode {
  const colon = text.indexOf(":");
  const name = colon === -1 ? text : text.slice(0, colon);
  const arg = colon === -1 ? undefined : text.slice(colon + 1);
  const fail = (why: string): never => {
    throw new FaultModeError(
      FaultModeErrorCode.INVALID,
      `invalid --fault "${text}": ${why}; expected ${FAULT_MODE_SYNTAX}`,
      {
        text,
      },
    );
  };
  const noArg = (): void => {
    if (arg !== undefined) fail(`"${name}" takes no argument`);
  };
  switch (name) {
    case "honest":
      noArg();
      return { kind: "honest" };
    case "ghost":
      noArg();
      return { kind: "ghost" };
    case "wrong-results":
    case "wrong-rows":
    case "selective": {
      const fraction = parseNumber(arg, fail);
      if (!(fraction >= 0 && fraction <= 1)) fail("the fraction must lie in [0, 1]");
      return { kind: name, fraction };
    }
    case "slow": {
      const factor = parseNumber(arg, fail);
      if (!(factor >= 1 && Number.isFinite(factor))) fail("the factor must be a finite number >= 1");
      return { kind: "slow", factor };
    }
    case "offline-epochs":
      return {
        kind: "offline-epochs",
        schedule: parseSchedule(arg ?? fail("an epoch list or pattern is required"), fail),
      };
    default:
      return fail(`unknown mode "${name}"`);
  }
}

function parseNumber(arg: string | undefined, fail: (why: string) => never): number {
  if (arg === undefined || !/^\d+(\.\d+)?$/.test(arg)) fail("a decimal number is required");
  return Number(arg);
}

function parseSchedule(arg: string, fail: (why: string) => never): EpochSchedule {
  const every = /^every:(\d+)(?:\+(\d+))?$/.exec(arg);
  if (every) {
    const k = BigInt(every[1] as string);
    const offset = BigInt(every[2] ?? "0");
    if (k === 0n) fail("every:<k> needs k >= 1");
    if (offset >= k) fail("the offset of every:<k>+<offset> must be below k");
    return { kind: "every", every: k, offset };
  }
  const epochs = new Set<bigint>();
  for (const part of arg.split(",")) {
    const range = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!range) fail(`"${part}" is neither an epoch nor a range a-b`);
    const from = BigInt((range as RegExpExecArray)[1] as string);
    const to = BigInt((range as RegExpExecArray)[2] ?? ((range as RegExpExecArray)[1] as string));
    if (to < from) fail(`range "${part}" runs backwards`);
    if (to - from + BigInt(epochs.size) >= BigInt(MAX_LISTED_EPOCHS))
      fail(`the list names more than ${MAX_LISTED_EPOCHS} epochs`);
    for (let e = from; e <= to; e++) epochs.add(e);
  }
  return { kind: "list", epochs };
}

export function isOfflineEpoch(schedule: EpochSchedule, epoch: bigint): boolean {
  return schedule.kind === "list" ? schedule.epochs.has(epoch) : epoch % schedule.every === schedule.offset;
}

export function formatFaultMode(mode: FaultMode): string {
  switch (mode.kind) {
    case "honest":
    case "ghost":
      return mode.kind;
    case "wrong-results":
    case "wrong-rows":
    case "selective":
      return `${mode.kind}:${mode.fraction}`;
    case "slow":
      return `slow:${mode.factor}`;
    case "offline-epochs":
      return mode.schedule.kind === "every"
        ? `offline-epochs:every:${mode.schedule.every}+${mode.schedule.offset}`
        : `offline-epochs:${[...mode.schedule.epochs].join(",")}`;
  }
}
