import { expect } from "vitest";

/** What `p` rejects with, asserted to be an instance of `type` (a `p` that resolves fails the assertion). */
export async function rejectionOf<E extends Error>(
  p: Promise<unknown>,
  type: abstract new (...args: never[]) => E,
): Promise<E> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(type);
  return e as E;
}
