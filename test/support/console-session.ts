/**
 * Shell sessions written in the docs as ```console blocks: `$ command` lines
 * (a trailing `\` continues a command on the next line) each followed by the
 * output the command prints. The docs tests run every command and compare.
 */
export interface SessionStep {
  readonly command: string;
  readonly expected: string;
  /** 1-based line of the command in the document. */
  readonly line: number;
}

export function consoleSteps(markdown: string): SessionStep[] {
  const steps: SessionStep[] = [];
  const lines = markdown.split("\n");
  let inBlock = false;
  let current: { command: string[]; output: string[]; line: number; continued: boolean } | null = null;
  const finish = () => {
    if (current) steps.push({ command: current.command.join("\n"), expected: current.output.join("\n"), line: current.line });
    current = null;
  };
  lines.forEach((text, index) => {
    if (!inBlock) {
      inBlock = text.trim() === "```console";
      return;
    }
    if (text.trim() === "```") {
      finish();
      inBlock = false;
    } else if (current?.continued) {
      current.command.push(text);
      current.continued = text.endsWith("\\");
    } else if (text.startsWith("$ ")) {
      finish();
      current = { command: [text.slice(2)], output: [], line: index + 1, continued: text.endsWith("\\") };
    } else if (current) {
      current.output.push(text);
    } else {
      throw new Error(`line ${index + 1}: output before the first command of a console block`);
    }
  });
  if (inBlock) throw new Error("a console block is not closed");
  return steps;
}

/**
 * Compares what a command printed with what the docs show. Output that starts
 * with a status line (curl -i / -I) is compared as HTTP: the status line and
 * the body exactly, and each header the docs show must be there with that
 * value (the docs may leave headers out: Date, X-Request-Id, ...). Anything
 * else is compared exactly, trailing white space aside. Throws on a mismatch.
 */
export function assertOutputMatches(actual: string, expected: string): void {
  const normalised = actual.replace(/\r\n/g, "\n");
  if (!expected.startsWith("HTTP/")) {
    if (normalised.trimEnd() !== expected.trimEnd()) throw new Error(`expected output\n${expected}\nbut got\n${normalised}`);
    return;
  }
  const [expectedHead, expectedBody = ""] = splitOnce(expected, "\n\n");
  const [actualHead, actualBody = ""] = splitOnce(normalised, "\n\n");
  const [expectedStatus, ...expectedHeaders] = expectedHead.split("\n");
  const [actualStatus, ...actualHeaders] = actualHead.split("\n");
  if (actualStatus !== expectedStatus) throw new Error(`expected status line ${expectedStatus} but got ${actualStatus}\n${normalised}`);
  const received = new Map(actualHeaders.map((header) => splitOnce(header, ": ")).map(([name, value]) => [name.toLowerCase(), value]));
  for (const header of expectedHeaders) {
    const [name, value] = splitOnce(header, ": ");
    if (received.get(name.toLowerCase()) !== value) {
      throw new Error(`expected header ${header} but got ${name}: ${received.get(name.toLowerCase()) ?? "(none)"}\n${normalised}`);
    }
  }
  if (actualBody.trimEnd() !== expectedBody.trimEnd()) throw new Error(`expected body\n${expectedBody}\nbut got\n${actualBody}`);
}

function splitOnce(text: string, separator: string): [string, string?] {
  const at = text.indexOf(separator);
  return at < 0 ? [text] : [text.slice(0, at), text.slice(at + separator.length)];
}
