// Why the daemon did not start: a closed set, each with the sentence a person reads and, where
// there is one, what to do about it. The command prints it as a user error; nothing here exits.

export type DaemonStartFailure =
  | "ports" // no tuple of ports honours the config and the running edge
  | "tls" // the CA or the leaf key cannot be loaded or created
  | "store" // db.sqlite cannot be opened (not SQLite, a newer schema, permissions): left untouched
  | "upstream-ca" // `[upstream] ca_file` cannot be read
  | "port-taken" // another process holds the internal or the API port
  | "listen"; // binding a port failed otherwise

export class DaemonStartError extends Error {
  override readonly name = "DaemonStartError";

  constructor(
    readonly kind: DaemonStartFailure,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}
