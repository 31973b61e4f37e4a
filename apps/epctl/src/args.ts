import { InvalidArgumentError } from 'commander';

/**
 * A commander argument parser for a non-negative integer; `what` names the option or argument
 * in the error (exit 2).
 */
export const intArg = (what: string) => (value: string): number => {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${what} must be a non-negative integer`);
  return Number(value);
};
