/**
 * The user answered no to a confirmation: nothing was written. A command prints what it did
 * not do, then throws this; epctl exits 8 (`EXIT.declined`) without printing an error.
 */
export class DeclinedError extends Error {
  override readonly name = 'DeclinedError';
}
