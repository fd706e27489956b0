import { connect } from "node:net";

export interface RawResponse {
  readonly status: number;
  readonly headers: ReadonlyMap<string, string>;
  readonly body: string;
}

/**
 * Sends bytes as they are (no client-side validation or encoding) and returns
 * everything the server sent before closing. With `halfClose` the client then
 * shuts its sending side (the server sees the request end). Rejects when the
 * server neither answers nor closes within `timeoutMs` (a hang).
 */
export function rawBytes(port: number, request: string | Buffer, timeoutMs: number, halfClose: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, "127.0.0.1", () => (halfClose ? socket.end(request) : socket.write(request)));
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer and no close within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    // A reset after the server answered or gave up is still an answer (or none).
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString("utf8"));
    });
  });
}

/** rawBytes, with the first response parsed; null when the server closed without answering. */
export async function rawExchange(port: number, request: Buffer, timeoutMs: number, halfClose: boolean): Promise<RawResponse | null> {
  return parseResponse(await rawBytes(port, request, timeoutMs, halfClose));
}

function parseResponse(text: string): RawResponse | null {
  if (text === "") return null;
  const end = text.indexOf("\r\n\r\n");
  const [statusLine, ...lines] = text.slice(0, end).split("\r\n");
  const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(statusLine)?.[1]);
  const headers = new Map(lines.map((line) => [line.slice(0, line.indexOf(":")).toLowerCase(), line.slice(line.indexOf(":") + 1).trim()]));
  return { status, headers, body: text.slice(end + 4) };
}
