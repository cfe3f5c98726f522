/** Client-side limits of a challenge run; each says where its number comes from. */
export const CHALLENGE_CLIENT_LIMITS = {
  /** Opening a stream (dial + multistream-select) to a provider: libp2p's own dial timeout is 5 s. */
  openStreamMs: 5_000,
  /**
   * An answer later than its class deadline TIMES OUT (DEADLINE_EXCEEDED); the
   * checker keeps listening this many times the deadline so that "slow" is
   * told apart from "silent" (TIMEOUT).
   */
  answerWaitFactor: 2,
  /** Floor for the wait on MatmulRows: a row set is small; this covers scheduling pauses. */
  minOpenWaitMs: 1_000,
  /**
   * A wait whose timer ran this much past its deadline ended while this
   * process's loop was stalled: an answer may have been waiting unread (timers
   * run before socket reads when a stalled loop wakes). A healthy loop fires
   * timers within a few ms.
   */
  lateWaitMs: 25,
  /** Closing this side of a stream for writing: flushing a few frames into the muxer takes milliseconds. */
  closeWriteMs: 1_000,
  /**
   * After an exchange's last frame, the wait for the provider to end its side
   * before the stream is reset (streamEnd.ts): an honest provider closes as
   * soon as it reads the checker's close (provider serve/server.ts), one RTT
   * (under 300 ms to the far side of the world) plus scheduling. Bytes that
   * arrive in this wait are a protocol violation.
   */
  endWaitMs: 500,
} as const;
