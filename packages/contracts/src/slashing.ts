/**
 * `ISlashing.SlashStatus` (contracts/interfaces/ISlashing.sol), in the
 * contract's order: what `Slashing.slashOf(id).status` reads as.
 */
export const SlashStatus = { None: 0, Pending: 1, Contested: 2, Executed: 3, Cancelled: 4 } as const;
export type SlashStatus = (typeof SlashStatus)[keyof typeof SlashStatus];
