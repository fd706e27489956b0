import { rawBytes } from "./raw-exchange";
import { OpenApiValidator } from "./openapi-validator";

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  json<T = unknown>(): T;
}

export interface RequestOptions {
  readonly headers?: Record<string, string>;
  readonly body?: string | Uint8Array;
}

/**
 * An HTTP client over a real socket that checks every response against the
 * OpenAPI document, so each test doubles as a conformance test of the spec.
 */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    readonly validator = new OpenApiValidator(),
  ) {}

  async request(method: string, target: string, options: RequestOptions = {}): Promise<ApiResponse> {
    const response = await fetch(this.baseUrl + target, { method, headers: options.headers, body: options.body });
    const text = await response.text();
    this.validator.check({ method, path: target.split("?")[0], status: response.status, headers: response.headers, body: text });
    return { status: response.status, headers: response.headers, text, json: <T>() => JSON.parse(text) as T };
  }

  get(target: string, headers?: Record<string, string>): Promise<ApiResponse> {
    return this.request("GET", target, { headers });
  }

  head(target: string, headers?: Record<string, string>): Promise<ApiResponse> {
    return this.request("HEAD", target, { headers });
  }

  delete(target: string, headers?: Record<string, string>): Promise<ApiResponse> {
    return this.request("DELETE", target, { headers });
  }

  /** PUT with a JSON body: a string is sent as is, anything else through JSON.stringify. */
  put(target: string, body: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> {
    const text = typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body);
    return this.request("PUT", target, { headers: { "content-type": "application/json", ...headers }, body: text });
  }
}

/** Sends raw bytes, closes the sending side, and returns everything the server answers before closing. For requests fetch refuses to send. */
export function rawHttp(port: number, request: string | Buffer): Promise<string> {
  return rawBytes(port, request, 30_000, true);
}
