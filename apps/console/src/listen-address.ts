/** Where the console listens (`127.0.0.1:8088`), set once the server is bound. */
export class ListenAddress {
  /** `host:port`; `''` before `listen()`. */
  value = '';
}
