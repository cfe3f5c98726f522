import { bribable } from "./checkers/bribable.ts";
import { censor } from "./checkers/censor.ts";
import { lazy } from "./checkers/lazy.ts";
import { liar } from "./checkers/liar.ts";
import { offlineAggregator } from "./checkers/offlineAggregator.ts";
import { briber } from "./providers/briber.ts";
import { cheater } from "./providers/cheater.ts";
import { contestPolicy } from "./providers/contest.ts";
import { faulty } from "./providers/faulty.ts";
import { ghost } from "./providers/ghost.ts";
import { intermittent } from "./providers/intermittent.ts";
import { proxy } from "./providers/proxy.ts";
import { slowGpu } from "./providers/slowGpu.ts";
import { watched } from "./providers/watched.ts";
import { wrongRows } from "./providers/wrongRows.ts";
import type { CheckerAdversary, ProviderAdversary } from "./types.ts";

/**
 * Every adversary the engine knows. Order is precedence: a seat goes to the
 * first checker behaviour that claims it (a bribe beats a lie beats laziness),
 * and provider hooks run in this order within their phase, so each draws from
 * the provider-epoch stream at a fixed place (outage, then fault; after the
 * sampling draw, cheating, then the watched override).
 */
export const CHECKER_ADVERSARIES: readonly CheckerAdversary[] = [
  bribable,
  liar,
  lazy,
  offlineAggregator,
  censor,
];

export const PROVIDER_ADVERSARIES: readonly ProviderAdversary[] = [
  intermittent,
  faulty,
  cheater,
  watched,
  wrongRows,
  ghost,
  proxy,
  slowGpu,
  briber,
  contestPolicy,
];
