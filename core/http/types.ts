// HTTP as the proxy sees it: header pairs as they came off the wire and the heads of one
// exchange. A leaf: it imports nothing.

/** Header pairs exactly as they appeared on the wire; names keep their casing. */
export type RawHeaders = ReadonlyArray<readonly [name: string, value: string]>;

/** What the MITM core knows about one request/response exchange. */
export interface ExchangeHead {
  host: string;
  method: string;
  /** Origin-form target as sent: path plus query string. */
  target: string;
  requestHeaders: RawHeaders;
}

export interface ResponseHead {
  status: number;
  headers: RawHeaders;
}
