/**
 * Preloaded (`node --import`) into every long-running devnet child: the
 * child's stdin is a pipe from the devnet, and when the devnet dies, however
 * it dies (SIGKILL included), the pipe ends. The child then stops as if told
 * SIGTERM (its own handler shuts it down cleanly), and exits anyway after
 * LIFELINE_GRACE_MS. Only active with CHECKERNET_LIFELINE=stdin, which the
 * devnet sets: a node started by hand keeps its stdin to itself. Main thread
 * only.
 */
import { isMainThread } from "node:worker_threads";

const LIFELINE_GRACE_MS = 15_000;

// --import preloads run in worker threads too, whose stdin is not the pipe (reading it there stalls them).
if (isMainThread && process.env.CHECKERNET_LIFELINE === "stdin") {
  let fired = false;
  const parentGone = () => {
    if (fired) return;
    fired = true;
    process.stderr.write("lifeline: the devnet is gone (stdin closed); stopping\n");
    setTimeout(() => process.exit(1), LIFELINE_GRACE_MS).unref();
    process.kill(process.pid, "SIGTERM");
  };
  process.stdin.on("end", parentGone);
  process.stdin.on("close", parentGone);
  process.stdin.on("error", parentGone);
  // Read (and drop) whatever comes, so that 'end' is seen; the handle must not keep the process alive.
  process.stdin.on("data", () => {});
  process.stdin.resume();
  (process.stdin as unknown as { unref?: () => void }).unref?.();
}
