/**
 * Per-provider flags the provider behaviours set each epoch and the
 * challenge runs read: ground truth the checkers can only observe through
 * their challenges.
 */
export class ProviderState {
  /** Reachable this epoch (carried across epochs: outages last). */
  readonly online: Uint8Array;
  /** Sampled in the previous epoch (what a provider can see of last epoch's committee). */
  readonly sampledLast: Uint8Array;
  /** Fails every challenge this epoch (a faulty machine). */
  readonly broken: Uint8Array;
  /** Diverts its GPU this epoch (skips the honest work). */
  readonly cheating: Uint8Array;
  /** Fraction of the rows of C it computes wrongly in a matmul (1 when cheating: a diverted GPU's rows are all wrong). */
  readonly wrongRows: Float64Array;

  constructor(providers: number) {
    this.online = new Uint8Array(providers).fill(1);
    this.sampledLast = new Uint8Array(providers);
    this.broken = new Uint8Array(providers);
    this.cheating = new Uint8Array(providers);
    this.wrongRows = new Float64Array(providers);
  }
}
