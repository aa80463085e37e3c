import { InvalidArgumentError } from '../oci/error.js';

/** Parses `--timestamp` / SOURCE_DATE_EPOCH: whole seconds since the epoch, or undefined. */
export function parseTimestamp(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`parse timestamp ${JSON.stringify(value)}: expected seconds since the epoch`);
  return Number(value);
}
