/** The value names `source` imports from `specifier` (default "viem"), or undefined when a list cannot stand for them. */
export function viemImportsOf(source: string, specifier?: string): string[] | undefined;
/** Installs the barrel-cutting hooks with node:module's `registerHooks`. */
export function installViemSlim(registerHooks: typeof import("node:module").registerHooks): void;
