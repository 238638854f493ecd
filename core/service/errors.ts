/** A lifecycle step the user can fix (a pinned port taken, a binary missing): message and hint. */
export class ServiceError extends Error {
  override readonly name = "ServiceError";
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}
