import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import type { AddressInfo, Socket } from "node:net";
import type Koa from "koa";
import type { Logger } from "./logger";
import { PROBLEMS, type ProblemCode } from "./problem-catalog";
import { problemBody, RETRY_AFTER_SECONDS } from "./problem-response";

export interface HttpServerOptions {
  readonly host: string;
  readonly port: number;
  readonly requestTimeoutMs: number;
  readonly headersTimeoutMs: number;
  /** Open connections at most; beyond, a new connection is closed at once and idle ones are closed to make room. */
  readonly maxConnections: number;
}

/** An idle keep-alive connection is closed after this long (Node's default, stated). */
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;

/** The Node HTTP server around the Koa app: listening, malformed-request replies and draining shutdown. */
export class HttpServer {
  private constructor(
    private readonly server: Server,
    private readonly logger: Logger,
  ) {}

  /**
   * Binds the port before anything slow happens (opening storage can take
   * long), so a port in use fails the start at once. Until `serve` hands it
   * the app, the server answers every request with 503 + Retry-After.
   *
   * Slow clients are cut off: the headers must arrive within
   * `headersTimeoutMs` and the whole request (headers and body) within
   * `requestTimeoutMs`, or the client gets a 408 and the connection closes.
   * Node checks these deadlines every second here (its default is 30 s).
   */
  static bind(options: HttpServerOptions, logger: Logger): Promise<HttpServer> {
    const { host, port } = options;
    const server = createServer(
      {
        requestTimeout: options.requestTimeoutMs,
        headersTimeout: options.headersTimeoutMs,
        connectionsCheckingInterval: 1000,
        // Node's own check answers a bare 400; the app answers a logged problem with a request id.
        requireHostHeader: false,
        keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      },
      answerStarting,
    );
    capConnections(server, options.maxConnections, logger);
    // Handling checkContinue stops Node from sending 100 Continue by itself:
    // the body reader sends it once the request is known to be read.
    server.on("checkContinue", answerStarting);
    // Handling checkExpectation stops Node's bare 417: the app answers unknown expectations.
    server.on("checkExpectation", answerStarting);
    server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => replyToClientError(error, socket, logger));
    return new Promise((resolve, reject) => {
      server.once("error", (error: NodeJS.ErrnoException) =>
        reject(error.code === "EADDRINUSE" ? new PortInUseError(host, port, { cause: error }) : error),
      );
      server.listen(port, host, () => {
        server.removeAllListeners("error");
        resolve(new HttpServer(server, logger));
      });
    });
  }

  /** From now on requests go to the app. */
  serve(app: Koa): void {
    const handle = app.callback();
    this.server.off("request", answerStarting).off("checkContinue", answerStarting).off("checkExpectation", answerStarting);
    this.server.on("request", handle).on("checkContinue", handle).on("checkExpectation", handle);
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /**
   * Stops accepting connections and waits for in-flight requests (including
   * streamed bodies) to finish; after `timeoutMs` the remaining connections are
   * cut. Resolves to true when everything finished in time.
   */
  async close(timeoutMs: number): Promise<boolean> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Keep-alive connections that go idle after close() would otherwise hold the server open.
    const sweep = setInterval(() => this.server.closeIdleConnections(), 100);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), timeoutMs);
    });
    try {
      const late = await Promise.race([closed.then(() => false), timedOut]);
      if (late) {
        this.logger.warn("shutdown timeout: closing connections with requests still in flight", { timeout_ms: timeoutMs });
        this.server.closeAllConnections();
        await closed;
      }
      return !late;
    } finally {
      clearInterval(sweep);
      clearTimeout(timer);
    }
  }
}

export class PortInUseError extends Error {
  constructor(host: string, port: number, options: ErrorOptions) {
    super(`port ${port} on ${host} is already in use; stop the other server or set PORT to another port (PORT=0 picks a free one)`, options);
    this.name = "PortInUseError";
  }
}

/**
 * At most `max` open connections: Node closes each new connection beyond
 * that at once. Idle connections (opened and never used, or kept alive
 * between requests) are then closed too, so that clients with requests to
 * make get in on their next attempt instead of waiting for idle ones to time
 * out (headers: HEADERS_TIMEOUT_MS; keep-alive: 5 s). Logged at most every
 * 10 s, with the count.
 */
function capConnections(server: Server, max: number, logger: Logger): void {
  server.maxConnections = max;
  // Requests in flight per connection: a connection with none is idle.
  const inFlight = new Map<Socket, number>();
  server.on("connection", (socket: Socket) => {
    inFlight.set(socket, 0);
    socket.once("close", () => inFlight.delete(socket));
  });
  server.on("request", (request: IncomingMessage, response: ServerResponse) => {
    const socket = request.socket;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    response.once("close", () => {
      if (inFlight.has(socket)) inFlight.set(socket, (inFlight.get(socket) ?? 1) - 1);
    });
  });
  let refused = 0;
  let lastLog = -Infinity;
  server.on("drop", () => {
    refused++;
    for (const [socket, requests] of inFlight) if (requests === 0) socket.destroy();
    const now = performance.now();
    if (now - lastLog < 10_000) return;
    lastLog = now;
    logger.warn("connection refused: MAX_CONNECTIONS reached; idle connections closed to make room", { max_connections: max, refused });
    refused = 0;
  });
}

function answerStarting(_request: IncomingMessage, response: ServerResponse): void {
  const requestId = randomUUID();
  const body = JSON.stringify(problemBody("storage-unavailable", "the service is starting; storage is not open yet", requestId));
  response
    .writeHead(503, { "Content-Type": "application/problem+json", "Retry-After": String(RETRY_AFTER_SECONDS), "X-Request-Id": requestId })
    .end(body);
}

/**
 * Node's parser rejects some requests before Koa sees them; answer those with
 * a problem body and a request id too, and log them (the client's fault, so
 * at info).
 */
function replyToClientError(error: NodeJS.ErrnoException, socket: Socket, logger: Logger): void {
  if (error.code === "ECONNRESET" || !socket.writable) {
    socket.destroy();
    return;
  }
  const { code, detail } = parserRejection(error.code);
  const requestId = randomUUID();
  const body = JSON.stringify(problemBody(code, detail, requestId));
  const { status, title } = PROBLEMS[code];
  logger.info("request rejected by the HTTP parser", { request_id: requestId, status, error: error.message, error_code: error.code });
  socket.end(
    `HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `X-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** What a parser error code means for the client. */
function parserRejection(errorCode: string | undefined): { code: ProblemCode; detail: string } {
  switch (errorCode) {
    case "HPE_HEADER_OVERFLOW":
      return { code: "headers-too-large", detail: "the request headers exceed 16 KiB" };
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return { code: "request-timeout", detail: "the request did not arrive in time" };
    case "HPE_INVALID_URL":
      return { code: "bad-request", detail: "the request target is not valid; non-ASCII characters in the path or query must be percent-encoded" };
    default:
      return { code: "bad-request", detail: "the request is not valid HTTP/1.1 (its request line, headers or message framing could not be parsed)" };
  }
}
