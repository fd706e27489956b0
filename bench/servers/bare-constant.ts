import { createServer } from "node:http";

/**
 * Baseline 1: node:http answering every request with a constant JSON body.
 * The ceiling of any Node HTTP service on this machine.
 */
const body = Buffer.from('{"value":1}');
createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
    res.end(req.method === "HEAD" ? undefined : body);
  });
}).listen(Number(process.env.PORT), "127.0.0.1", () => process.send?.("listening"));
