/** Codes for requests the HTTP layer rejects before they reach a use case. */
export type RequestErrorCode =
  | "invalid-json"
  | "invalid-body"
  | "invalid-query"
  | "invalid-header"
  | "unsupported-media-type"
  | "payload-too-large"
  | "too-many-keys"
  | "unauthorized"
  | "route-not-found"
  | "method-not-allowed"
  | "bad-request"
  | "request-timeout"
  | "headers-too-large"
  | "expectation-failed"
  | "too-many-listings"
  | "too-many-watches"
  | "watch-unavailable";

export class RequestError extends Error {
  constructor(
    readonly code: RequestErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "RequestError";
  }
}
