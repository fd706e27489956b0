/**
 * A validating JSON scanner (RFC 8259) that never converts values: it finds
 * where each value starts and ends and hands back the original text. This is
 * how values round-trip exactly - `12345678901234567890` and `1e400` stay as
 * written, where JSON.parse would round or turn them into null. It is
 * iterative, so nesting depth is bounded only by the body size.
 *
 * The scan is a generator that pauses after each member of an object and at
 * least every STEP_CHARS characters, also inside one long string, so the
 * "InSlices" variants can give the event loop a turn while a big body is
 * scanned; the plain variants run the same scan to the end in one go.
 */

import { setImmediate as nextTurn } from "node:timers/promises";

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} at position ${position}`);
    this.name = "JsonSyntaxError";
  }
}

export interface JsonMember {
  /** The member name, decoded. */
  readonly name: string;
  /** The member value as JSON text without insignificant whitespace. */
  readonly value: string;
}

/** An object with more members than the caller accepts; scanning stopped at the first one too many. */
export class TooManyMembersError extends Error {
  constructor(readonly maxMembers: number) {
    super(`the object has more than ${maxMembers} members`);
    this.name = "TooManyMembersError";
  }
}

/** Validates a JSON text holding one value and returns it without insignificant whitespace. */
export function compactJson(text: string): string {
  return runToEnd(compactSteps(text));
}

/** compactJson, giving the event loop a turn after about every `sliceMs` of scanning. */
export function compactJsonInSlices(text: string, sliceMs: number): Promise<string> {
  return runInSlices(compactSteps(text), sliceMs);
}

/**
 * Splits a JSON text whose top-level value is an object into its members.
 * Returns null when the text is valid JSON but not an object. Throws
 * TooManyMembersError as soon as a member beyond `maxMembers` starts, so a
 * huge body of tiny members costs no more than the members accepted.
 */
export function objectMembers(text: string, maxMembers = Infinity): JsonMember[] | null {
  return runToEnd(memberSteps(text, maxMembers));
}

/** objectMembers, giving the event loop a turn after about every `sliceMs` of scanning. */
export function objectMembersInSlices(text: string, maxMembers: number, sliceMs: number): Promise<JsonMember[] | null> {
  return runInSlices(memberSteps(text, maxMembers), sliceMs);
}

/** A scan pauses (yields) at least this often: about a millisecond of scanning. */
const STEP_CHARS = 1 << 18;

type Steps<T> = Generator<void, T>;

function runToEnd<T>(steps: Steps<T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

async function runInSlices<T>(steps: Steps<T>, sliceMs: number): Promise<T> {
  let sliceStart = performance.now();
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (performance.now() - sliceStart >= sliceMs) {
      await nextTurn();
      sliceStart = performance.now();
    }
  }
}

function* compactSteps(text: string): Steps<string> {
  const start = skipWhitespace(text, 0);
  const end = yield* scanValue(text, start);
  expectEnd(text, end);
  return yield* compact(text, start, end);
}

function* memberSteps(text: string, maxMembers: number): Steps<JsonMember[] | null> {
  let i = skipWhitespace(text, 0);
  if (text.charCodeAt(i) !== OPEN_BRACE) {
    yield* compactSteps(text); // throws if the text is not JSON at all
    return null;
  }
  const members: JsonMember[] = [];
  i = skipWhitespace(text, i + 1);
  if (text.charCodeAt(i) === CLOSE_BRACE) {
    expectEnd(text, i + 1);
    return members;
  }
  for (;;) {
    const nameStart = i;
    if (members.length === maxMembers) throw new TooManyMembersError(maxMembers);
    if (text.charCodeAt(i) !== QUOTE) throw new JsonSyntaxError("expected a member name", i);
    i = yield* scanString(text, i);
    const name = decodeString(text, nameStart, i);
    i = expectColon(text, i);
    const valueStart = skipWhitespace(text, i);
    i = yield* scanValue(text, valueStart);
    members.push({ name, value: yield* compact(text, valueStart, i) });
    yield;
    i = skipWhitespace(text, i);
    const c = text.charCodeAt(i);
    if (c === CLOSE_BRACE) {
      expectEnd(text, i + 1);
      return members;
    }
    if (c !== COMMA) throw new JsonSyntaxError("expected ',' or '}'", i);
    i = skipWhitespace(text, i + 1);
  }
}

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;

const IN_ARRAY = 0;
const IN_OBJECT = 1;

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const ESCAPE = /\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/y;

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipWhitespace(text: string, i: number): number {
  while (isWhitespace(text.charCodeAt(i))) i++;
  return i;
}

function expectEnd(text: string, i: number): void {
  i = skipWhitespace(text, i);
  if (i !== text.length) throw new JsonSyntaxError("unexpected data after the JSON value", i);
}

function expectColon(text: string, i: number): number {
  i = skipWhitespace(text, i);
  if (text.charCodeAt(i) !== COLON) throw new JsonSyntaxError("expected ':'", i);
  return i + 1;
}

/** Returns the index just past the value starting at `i`, or throws. */
function* scanValue(text: string, i: number): Steps<number> {
  const stack: number[] = [];
  let pauseAt = i + STEP_CHARS;
  for (;;) {
    if (i >= pauseAt) {
      yield;
      pauseAt = i + STEP_CHARS;
    }
    // A value starts at i.
    i = skipWhitespace(text, i);
    const c = text.charCodeAt(i);
    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      const close = c === OPEN_BRACE ? CLOSE_BRACE : CLOSE_BRACKET;
      i = skipWhitespace(text, i + 1);
      if (text.charCodeAt(i) === close) {
        i++;
      } else if (c === OPEN_BRACE) {
        stack.push(IN_OBJECT);
        i = yield* scanMemberName(text, i);
        continue;
      } else {
        stack.push(IN_ARRAY);
        continue;
      }
    } else if (c === QUOTE) {
      i = yield* scanString(text, i);
    } else if (c === MINUS || (c >= 0x30 && c <= 0x39)) {
      NUMBER.lastIndex = i;
      if (!NUMBER.test(text)) throw new JsonSyntaxError("malformed number", i);
      i = NUMBER.lastIndex;
    } else if (text.startsWith("true", i)) i += 4;
    else if (text.startsWith("false", i)) i += 5;
    else if (text.startsWith("null", i)) i += 4;
    else throw new JsonSyntaxError(i >= text.length ? "unexpected end of input" : "expected a value", i);

    // A value ended at i: close finished containers, or move to the next element.
    for (;;) {
      if (stack.length === 0) return i;
      i = skipWhitespace(text, i);
      const d = text.charCodeAt(i);
      const inObject = stack[stack.length - 1] === IN_OBJECT;
      if (d === COMMA) {
        i = inObject ? yield* scanMemberName(text, skipWhitespace(text, i + 1)) : i + 1;
        break;
      }
      if (d === (inObject ? CLOSE_BRACE : CLOSE_BRACKET)) {
        stack.pop();
        i++;
        continue;
      }
      throw new JsonSyntaxError(inObject ? "expected ',' or '}'" : "expected ',' or ']'", i);
    }
  }
}

/** Scans `"name" :` and returns the index after the colon. */
function* scanMemberName(text: string, i: number): Steps<number> {
  if (text.charCodeAt(i) !== QUOTE) throw new JsonSyntaxError("expected a member name", i);
  return expectColon(text, yield* scanString(text, i));
}

/** `quote` is at the opening quote; returns the index after the closing quote, pausing every STEP_CHARS characters. */
function* scanString(text: string, quote: number): Steps<number> {
  let i = scanStringPart(text, quote, quote + 1);
  while (i < 0) {
    yield;
    i = scanStringPart(text, quote, ~i);
  }
  return i;
}

/**
 * Scans at most STEP_CHARS characters of the string opened at `quote`, from
 * `from`: returns the index after the closing quote, or `~i` (negative) to go
 * on from i.
 */
function scanStringPart(text: string, quote: number, from: number): number {
  const stop = Math.min(text.length, from + STEP_CHARS);
  let i = from;
  for (; i < stop; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) return i + 1;
    if (c === BACKSLASH) {
      ESCAPE.lastIndex = i;
      if (!ESCAPE.test(text)) throw new JsonSyntaxError("invalid escape in string", i);
      i = ESCAPE.lastIndex - 1;
    } else if (c < 0x20) {
      throw new JsonSyntaxError("unescaped control character in string", i);
    }
  }
  if (i >= text.length) throw new JsonSyntaxError("unterminated string", quote);
  return ~i;
}

/** The value of the valid string text[start, end). */
function decodeString(text: string, start: number, end: number): string {
  const content = text.slice(start + 1, end - 1);
  return content.includes("\\") ? (JSON.parse(text.slice(start, end)) as string) : content;
}

/** In already validated text: the index after the string whose opening quote is at `quote`. */
function skipValidString(text: string, quote: number): number {
  for (let i = quote; ; ) {
    i = text.indexOf('"', i + 1);
    let backslashes = 0;
    while (text.charCodeAt(i - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return i + 1;
  }
}

/** The text of a valid value with whitespace outside strings removed. */
function* compact(text: string, start: number, end: number): Steps<string> {
  let out = "";
  let copiedTo = start;
  let pauseAt = start + STEP_CHARS;
  for (let i = start; i < end; i++) {
    if (i >= pauseAt) {
      yield;
      pauseAt = i + STEP_CHARS;
    }
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = skipValidString(text, i) - 1;
    } else if (isWhitespace(c)) {
      out += text.slice(copiedTo, i);
      while (i + 1 < end && isWhitespace(text.charCodeAt(i + 1))) i++;
      copiedTo = i + 1;
    }
  }
  return copiedTo === start ? text.slice(start, end) : out + text.slice(copiedTo, end);
}
