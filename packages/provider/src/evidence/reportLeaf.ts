import { epochReportsAbi } from "@checkernet/contracts/generated/index";
import { type OnChainRoots, verifyPublishedReport } from "@checkernet/protocol/explain";
import type { ResultLeaf } from "@checkernet/protocol/merkle/leaves";
import { buildResultsTree, resultProof } from "@checkernet/protocol/merkle/trees";
import { type Dialer, fetchReport, type PublishedReportWithTx } from "@checkernet/wire";
import { type Multiaddr, multiaddr } from "@multiformats/multiaddr";
import { type Address, getAddress, type Hex } from "viem";
import type { ProviderChain } from "../chain/client.ts";
import { ChainError, ChainErrorCode, toChainError } from "../chain/errors.ts";

/**
 * The provider's result leaf of an epoch's report, and its Merkle proof,
 * fetched from checkers over `/checkernet/reports/1.0.0` (every checker keeps
 * and serves the reports it built, co-signed or synced). A checker's answer
 * is trusted only once its leaves rebuild the results and rewards roots the
 * chain holds for that epoch (`verifyPublishedReport`), so a lying or broken
 * checker is skipped and the next one asked; the proof is then built here
 * from the verified leaves. This is what `provider contest --from-checker`
 * posts, without a leaf file.
 */
export interface ReportLeafSources {
  host: Dialer;
  /** Checkers to ask, in order: multiaddrs ending in /p2p/<peer id>. */
  checkers: readonly Multiaddr[];
  /** The chain's roots of `epoch`'s report; null when no report landed. */
  roots(epoch: bigint): Promise<OnChainRoots | null>;
  /** Per checker, ms (default: the reports protocol's own limit). */
  timeoutMs?: number;
}

export interface FetchedLeaf {
  leaf: ResultLeaf;
  proof: Hex[];
  /** The checker whose report gave it. */
  from: string;
}

/** `/ip4/…/tcp/…/p2p/<id>`, as `--from-checker` takes it. */
export function parseCheckerAddress(text: string): Multiaddr {
  const bad = (why: string): never => {
    throw new ChainError(
      ChainErrorCode.BAD_ARGUMENT,
      `--from-checker "${text}": ${why}; expected a multiaddr ending in /p2p/<peer id>`,
      {},
    );
  };
  let addr: Multiaddr;
  try {
    addr = multiaddr(text);
  } catch (err) {
    return bad((err as Error).message);
  }
  if (addr.getComponents().find((c) => c.name === "p2p") === undefined) bad("it has no /p2p/<peer id>");
  return addr;
}

/**
 * @throws ChainError NO_PENDING_SLASH when no report landed for the epoch or it
 *   holds no leaf for this provider; NO_LEAF_SOURCE when no checker served a
 *   report matching the chain (each checker's reason in the one-line message).
 */
export async function fetchResultLeaf(
  sources: ReportLeafSources,
  epoch: bigint,
  provider: Address,
): Promise<FetchedLeaf> {
  const onChain = await sources.roots(epoch);
  if (onChain === null) {
    throw new ChainError(ChainErrorCode.NO_PENDING_SLASH, `no report landed for epoch ${epoch}`, {
      epoch,
    });
  }
  const me = getAddress(provider);
  const failures: string[] = [];
  for (const checker of sources.checkers) {
    const from = checker.toString();
    let report: PublishedReportWithTx;
    try {
      report = await fetchReport(sources.host, checker, epoch, {
        ...(sources.timeoutMs === undefined ? {} : { timeoutMs: sources.timeoutMs }),
      });
      verifyPublishedReport(report, onChain);
    } catch (e) {
      failures.push(`${from}: ${(e as Error).message}`);
      continue;
    }
    const leaf = report.results.find((l) => getAddress(l.provider) === me);
    if (leaf === undefined) {
      throw new ChainError(
        ChainErrorCode.NO_PENDING_SLASH,
        `the report of epoch ${epoch} has no leaf for ${me}: it was not judged that epoch`,
        { epoch },
      );
    }
    // The leaves rebuild the on-chain root (verifyPublishedReport), so a proof built from them reaches it.
    return { leaf, proof: resultProof(buildResultsTree(report.results), me), from };
  }
  throw new ChainError(
    ChainErrorCode.NO_LEAF_SOURCE,
    `--from-checker: no checker served the report of epoch ${epoch} as the chain anchors it (${failures.join("; ")}); name other checkers, or give --leaf-file`,
    { epoch, failures },
  );
}

/** `EpochReports.reportOf(epoch)`'s roots, null when no report landed. */
export async function readReportRoots(
  chain: ProviderChain,
  epochReports: Address,
  epoch: bigint,
): Promise<OnChainRoots | null> {
  try {
    const r = await chain.publicClient.readContract({
      address: epochReports,
      abi: epochReportsAbi,
      functionName: "reportOf",
      args: [epoch],
    });
    return r.submittedAt === 0n ? null : { resultsRoot: r.resultsRoot, rewardsRoot: r.rewardsRoot };
  } catch (err) {
    throw toChainError(err, "reportOf");
  }
}
