/** Options of the `client` generator (`schema.json` validates them first). */
export interface ClientGeneratorOptions {
  /** The service to call: its proto is `protos/<name>/v1/<name>.proto`. */
  readonly name: string;
  /** The app (under `apps/`) that gets the client. */
  readonly in: string;
}
