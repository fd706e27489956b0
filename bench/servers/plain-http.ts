import type { IncomingMessage, ServerResponse } from "node:http";

/** The two helpers every hand-written baseline needs, kept as bare as a careful author would write them. */
export function send(res: ServerResponse, status: number, body?: string, head = false): void {
  res.writeHead(status, { "content-type": "application/json", "content-length": body === undefined ? 0 : Buffer.byteLength(body) });
  res.end(head ? undefined : body);
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
