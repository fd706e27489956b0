import type { Context } from "koa";
import { isAscii } from "node:buffer";
import { setImmediate as nextTurn } from "node:timers/promises";
import bodyParser from "koa-bodyparser";
import { RequestError } from "./request-error";

export type JsonBodyReader = (ctx: Context) => Promise<string>;

// application/json and structured-syntax types such as application/merge-patch+json.
const JSON_MEDIA_TYPE = /^application\/(?:[a-z0-9!#$&^_.-]+\+)?json$/;
/** Bodies are decoded this many bytes at a time (a few milliseconds each), letting other requests run between the pieces. */
const DECODE_SLICE_BYTES = 1 << 20;

/**
 * Reads a request body as JSON text, exactly as sent. koa-bodyparser is used
 * only to collect the bytes (with its size limit and gzip/deflate/br
 * decoding): `encoding: null` makes it hand over a Buffer, which we decode as
 * strict UTF-8 ourselves. Its own JSON mode would decode invalid UTF-8 into
 * U+FFFD and parse with JSON.parse, silently changing the data; the caller
 * parses losslessly instead.
 */
export function createJsonBodyReader(maxBytes: number): JsonBodyReader {
  const collect = bodyParser({
    enableTypes: ["text"],
    extendTypes: { text: ["application/json", "application/*+json"] },
    textLimit: String(maxBytes),
    encoding: null as unknown as string,
  });

  return async (ctx) => {
    requireJsonContentType(ctx);
    refuseDeclaredOversize(ctx, maxBytes);
    // The server defers 100 Continue to here (see HttpServer), so a client
    // that asked for it sends its body only once the request is known to be
    // read: not when it is refused for its token, route, query or size.
    if (/\b100-continue\b/i.test(ctx.get("Expect"))) ctx.res.writeContinue();
    // Content codings are case-insensitive (RFC 9110, section 8.4.1); the decoder matches lower case only.
    const coding = ctx.req.headers["content-encoding"];
    if (coding !== undefined) ctx.req.headers["content-encoding"] = coding.trim().toLowerCase();
    try {
      await collect(ctx, () => Promise.resolve());
    } catch (error) {
      throw bodyError(error, maxBytes);
    }
    // With encoding: null the collected body is a Buffer (typed as string); undefined when there was none.
    const bytes = (ctx.request.rawBody as unknown as Buffer | undefined) ?? Buffer.alloc(0);
    if (bytes.length === 0) throw new RequestError("invalid-json", "the request body is empty; send a JSON value");
    try {
      return await decodeUtf8InSlices(bytes);
    } catch (error) {
      if (error instanceof TypeError) throw new RequestError("invalid-json", "the request body is not valid UTF-8");
      throw error;
    }
  };
}

/**
 * Strict UTF-8 decoding (TypeError on invalid bytes). A big body gets turns
 * of the event loop around each step: ASCII, the common case, is copied in
 * one go (about half a millisecond per MiB); anything else is decoded a
 * slice at a time, then joined (one copy, about a millisecond per MiB).
 */
async function decodeUtf8InSlices(bytes: Buffer): Promise<string> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  if (bytes.length <= DECODE_SLICE_BYTES) return decoder.decode(bytes);
  // Collecting the body ended with a copy of it, in the event loop's poll
  // phase; promises would chain decoding and scanning onto that same turn.
  // An immediate set from the poll phase runs before the loop polls again,
  // so it takes two to let other connections' requests in.
  await nextTurn();
  await nextTurn();
  let text: string;
  if (isAscii(bytes)) {
    text = bytes.toString("latin1");
  } else {
    const parts: string[] = [];
    for (let at = 0; at < bytes.length; at += DECODE_SLICE_BYTES) {
      if (at > 0) await nextTurn();
      // stream: a character split between two slices is completed by the next one.
      parts.push(decoder.decode(bytes.subarray(at, at + DECODE_SLICE_BYTES), { stream: true }));
    }
    parts.push(decoder.decode());
    await nextTurn();
    text = parts.join("");
  }
  await nextTurn();
  return text;
}

function requireJsonContentType(ctx: Context): void {
  const header = ctx.get("Content-Type");
  if (!header) throw new RequestError("unsupported-media-type", "send the body with Content-Type: application/json");
  const mediaType = header.split(";", 1)[0].trim().toLowerCase();
  if (!JSON_MEDIA_TYPE.test(mediaType)) {
    throw new RequestError("unsupported-media-type", `Content-Type ${header} is not supported; use application/json`);
  }
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(header)?.[1];
  if (charset !== undefined && charset.toLowerCase() !== "utf-8") {
    throw new RequestError("unsupported-media-type", `charset ${charset} is not supported; JSON is UTF-8`);
  }
}

/** An uncompressed body whose declared length exceeds the limit is refused before it is read. */
function refuseDeclaredOversize(ctx: Context, maxBytes: number): void {
  const encoding = ctx.get("Content-Encoding").trim().toLowerCase();
  const length = Number(ctx.get("Content-Length"));
  if ((encoding === "" || encoding === "identity") && length > maxBytes) {
    throw new RequestError("payload-too-large", `the request body exceeds ${maxBytes} bytes`);
  }
}

function bodyError(error: unknown, maxBytes: number): unknown {
  const status = (error as { status?: unknown }).status;
  const code = (error as { code?: unknown }).code;
  if (status === 413) return new RequestError("payload-too-large", `the request body exceeds ${maxBytes} bytes`);
  if (status === 415) return new RequestError("unsupported-media-type", (error as Error).message);
  if (status === 400) return new RequestError("invalid-body", (error as Error).message);
  if (typeof code === "string" && DECOMPRESSION_ERROR.test(code)) {
    return new RequestError("invalid-body", "the request body could not be decompressed");
  }
  return error;
}

/** zlib's codes for gzip/deflate (Z_DATA_ERROR, Z_BUF_ERROR) and Node's for Brotli (ERR__ERROR_FORMAT_PADDING_1, ERR_BROTLI_...). */
const DECOMPRESSION_ERROR = /^(?:Z_|ERR__ERROR_|ERR_BROTLI_)/;
