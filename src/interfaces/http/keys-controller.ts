import type { Context } from "koa";
import { Readable } from "node:stream";
import type { DeleteValue } from "../../application/delete-value";
import type { DeleteValues } from "../../application/delete-values";
import type { GetValue } from "../../application/get-value";
import { MAX_PAGE_SIZE, type ListValues } from "../../application/list-values";
import type { PutValue } from "../../application/put-value";
import type { PutValues } from "../../application/put-values";
import { MAX_TTL_SECONDS } from "../../domain/expiry";
import type { KeyPattern } from "../../domain/key-pattern";
import type { StoredEntry, WriteResult } from "../../domain/stored-entry";
import { createJsonBodyReader, type JsonBodyReader } from "./json-body";
import { compactJsonInSlices, JsonSyntaxError, objectMembersInSlices, TooManyMembersError } from "./lossless-json";
import { etagOf, noneMatchHits, readConditionFrom, rejectConditions, writeConditionFrom } from "./preconditions";
import { RequestError } from "./request-error";
import { header, keyFromPath, parseDigits, parseQuery, patternFrom } from "./request-target";

const KEY_PREFIX = "/keys/";
/** Response header with the absolute expiry of a key that has one (ISO-8601 UTC, milliseconds). */
export const EXPIRES_AT_HEADER = "Expires-At";
const STREAM_CHUNK_CHARS = 64 * 1024;
/** Bodies are scanned in slices of about this long, letting other requests run between them. */
const PARSE_SLICE_MS = 10;

/** Request limits of the /keys resource. */
export interface KeysLimits {
  /** Largest request body, after decompression. */
  readonly maxBodyBytes: number;
  /** Most keys one PUT /keys may write. */
  readonly maxKeysPerPut: number;
  /** Most GET /keys responses streaming at once; beyond, 503 + Retry-After. */
  readonly maxListings: number;
}

/** HTTP adapter for the /keys resource: translates requests to use cases and results to responses. */
export class KeysController {
  private readonly readBody: JsonBodyReader;
  private readonly maxKeysPerPut: number;
  private readonly maxListings: number;
  private listings = 0;

  constructor(
    private readonly getValue: GetValue,
    private readonly putValue: PutValue,
    private readonly putValues: PutValues,
    private readonly deleteValue: DeleteValue,
    private readonly deleteValues: DeleteValues,
    private readonly listValues: ListValues,
    limits: KeysLimits,
  ) {
    this.readBody = createJsonBodyReader(limits.maxBodyBytes);
    this.maxKeysPerPut = limits.maxKeysPerPut;
    this.maxListings = limits.maxListings;
  }

  /** GET and HEAD /keys/{key} */
  readonly get = async (ctx: Context): Promise<void> => {
    parseQuery(ctx.querystring, []);
    const key = keyFromPath(ctx.path, KEY_PREFIX);
    const entry = await this.getValue.execute(key, readConditionFrom(header(ctx, "If-Match")));
    setEntityHeaders(ctx, entry.version, entry.expiresAt);
    if (noneMatchHits(header(ctx, "If-None-Match"), entry.version)) {
      ctx.status = 304;
      return;
    }
    ctx.body = entry.value;
    ctx.type = "application/json";
  };

  /** PUT /keys/{key} */
  readonly put = async (ctx: Context): Promise<void> => {
    const key = keyFromPath(ctx.path, KEY_PREFIX);
    const ttl = ttlFrom(parseQuery(ctx.querystring, ["expire_in"]));
    const condition = writeConditionFrom(header(ctx, "If-Match"), header(ctx, "If-None-Match"), true);
    const sent = await this.readBody(ctx);
    const value = await parseJson(sent, (text) => compactJsonInSlices(text, PARSE_SLICE_MS));
    const outcome = await this.putValue.execute({ key, value }, ttl, condition);
    // RFC 9110, section 9.3.4: an ETag here would say the client's own bytes
    // have this version, which holds only when they were stored unchanged
    // (already compact). The body's etag always names the stored version.
    setEntityHeaders(ctx, outcome.version, outcome.expiresAt, value === sent);
    if (outcome.created) ctx.set("Location", ctx.path);
    ctx.status = outcome.created ? 201 : 200;
    ctx.body = writeView(outcome);
  };

  /** DELETE /keys/{key} */
  readonly delete = async (ctx: Context): Promise<void> => {
    const key = keyFromPath(ctx.path, KEY_PREFIX);
    parseQuery(ctx.querystring, []);
    const condition = writeConditionFrom(header(ctx, "If-Match"), header(ctx, "If-None-Match"), false);
    await this.deleteValue.execute(key, condition);
    ctx.status = 204;
  };

  /** PUT /keys: several keys, atomically. */
  readonly putMany = async (ctx: Context): Promise<void> => {
    const ttl = ttlFrom(parseQuery(ctx.querystring, ["expire_in"]));
    rejectConditions(header(ctx, "If-Match"), header(ctx, "If-None-Match"), "PUT /keys (use PUT /keys/{key})");
    // One request is one transaction: bound its size, whatever MAX_BODY_BYTES allows (counted while scanning, which stops at the first key too many).
    const members = await parseJson(await this.readBody(ctx), (text) => objectMembersInSlices(text, this.maxKeysPerPut, PARSE_SLICE_MS));
    if (members === null) throw new RequestError("invalid-body", 'the body must be a JSON object such as {"key": <any JSON value>}');
    if (members.length === 0) throw new RequestError("invalid-body", "the body must hold at least one key");
    const results = await this.putValues.execute(
      members.map((member) => ({ key: member.name, value: member.value })),
      ttl,
    );
    ctx.status = results.some((result) => result.created) ? 201 : 200;
    ctx.body = { keys: results.map(writeView) };
  };

  /** GET and HEAD /keys: every live entry (or a page, or those matching a filter) as one JSON object, streamed. */
  readonly list = async (ctx: Context): Promise<void> => {
    const query = parseQuery(ctx.querystring, ["filter", "limit", "after"]);
    const pattern = patternFrom(query);
    const limitText = query.get("limit");
    const limit = limitText === undefined ? null : parseDigits("limit", limitText, "invalid-page", `from 1 to ${MAX_PAGE_SIZE}`);
    const listing = await this.listValues.execute({ pattern, after: query.get("after") ?? null, limit });
    if (listing.revision !== null) ctx.set("KV-Revision", String(listing.revision));
    if (listing.nextAfter !== null && limit !== null) {
      ctx.set("Link", `<${nextPageLink(ctx.path, pattern, limit, listing.nextAfter)}>; rel="next"`);
    }
    ctx.type = "application/json";
    if (ctx.method === "HEAD") {
      ctx.body = Readable.from([]);
      return;
    }
    this.takeListingSlot(ctx);
    // Read the first chunk before committing to a 200, so that storage
    // failing on the first read still gets a proper problem response.
    const text = jsonObjectText(listing.entries);
    const first = await text.next();
    // One chunk buffered ahead at most: the next is made only when the
    // socket has taken this one, so a client that stops reading holds one
    // storage chunk and one text chunk, and no database connection.
    ctx.body = Readable.from(prepend(first, text), { highWaterMark: 1 });
  };

  /**
   * A streaming listing holds memory for as long as its client takes to read
   * it; their number is capped, so clients that stop reading cannot exhaust
   * memory. The slot is freed when the response ends or its connection closes.
   */
  private takeListingSlot(ctx: Context): void {
    if (this.listings >= this.maxListings) {
      throw new RequestError("too-many-listings", `${this.maxListings} listings are streaming already; retry after Retry-After seconds`);
    }
    this.listings++;
    ctx.res.once("close", () => this.listings--);
  }

  /** DELETE /keys: every key, or those matching a filter. */
  readonly deleteMany = async (ctx: Context): Promise<void> => {
    const pattern = patternFrom(parseQuery(ctx.querystring, ["filter"]));
    rejectConditions(header(ctx, "If-Match"), header(ctx, "If-None-Match"), "DELETE /keys");
    await this.deleteValues.execute(pattern);
    ctx.status = 204;
  };
}

function ttlFrom(query: Map<string, string>): number | null {
  const text = query.get("expire_in");
  return text === undefined ? null : parseDigits("expire_in", text, "invalid-expiry", `from 1 to ${MAX_TTL_SECONDS} seconds`);
}

async function parseJson<T>(text: string, parse: (text: string) => Promise<T>): Promise<T> {
  try {
    return await parse(text);
  } catch (error) {
    throw jsonError(error);
  }
}

/** A scanner's error as the client's problem; anything else unchanged. */
function jsonError(error: unknown): unknown {
  if (error instanceof JsonSyntaxError) return new RequestError("invalid-json", `the body is not valid JSON: ${error.message}`);
  if (error instanceof TooManyMembersError) {
    return new RequestError("too-many-keys", `the body holds more than ${error.maxMembers} keys; at most ${error.maxMembers} per request`);
  }
  return error;
}

/** ETag (unless `validator` is false) and Expires-At of a stored version. */
function setEntityHeaders(ctx: Context, version: string, expiresAt: number | null, validator = true): void {
  if (validator) ctx.set("ETag", etagOf(version));
  if (expiresAt !== null) ctx.set(EXPIRES_AT_HEADER, new Date(expiresAt).toISOString());
}

function writeView(result: WriteResult): Record<string, unknown> {
  return {
    key: result.key,
    created: result.created,
    etag: etagOf(result.version),
    expires_at: result.expiresAt === null ? null : new Date(result.expiresAt).toISOString(),
  };
}

function nextPageLink(path: string, pattern: KeyPattern | null, limit: number, after: string): string {
  const filter = pattern === null ? "" : `filter=${encodeURIComponent(pattern.source)}&`;
  return `${path}?${filter}limit=${limit}&after=${encodeURIComponent(after)}`;
}

async function* prepend(first: IteratorResult<string>, rest: AsyncGenerator<string>): AsyncGenerator<string> {
  if (first.done) return;
  yield first.value;
  yield* rest;
}

/** The entries as the text of one JSON object, in chunks of about 64 KiB. */
async function* jsonObjectText(entries: AsyncIterable<StoredEntry>): AsyncGenerator<string> {
  let chunk = "{";
  let separator = "";
  for await (const entry of entries) {
    chunk += separator + JSON.stringify(entry.key) + ":" + entry.value;
    separator = ",";
    if (chunk.length >= STREAM_CHUNK_CHARS) {
      yield chunk;
      chunk = "";
    }
  }
  yield chunk + "}";
}
