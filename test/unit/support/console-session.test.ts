import { expect } from "chai";
import { assertOutputMatches, consoleSteps } from "../../support/console-session";

/** The docs tests trust these two to catch a drifting example; prove that they do. */
describe("console sessions in the docs", () => {
  it("splits a block into commands (with continuation lines) and the output each shows", () => {
    const markdown = ["text", "```console", "$ curl -s a \\", "    -d 1", "one", "two", "$ true", "```", "```sh", "$ not a session", "```"].join("\n");
    expect(consoleSteps(markdown)).to.deep.equal([
      { command: "curl -s a \\\n    -d 1", expected: "one\ntwo", line: 3 },
      { command: "true", expected: "", line: 7 },
    ]);
  });

  const response = "HTTP/1.1 200 OK\r\nETag: \"2\"\r\nDate: today\r\nContent-Type: application/json\r\n\r\n12";
  it("accepts an HTTP response that shows the status, the body and a subset of the headers", () => {
    assertOutputMatches(response, 'HTTP/1.1 200 OK\netag: "2"\n\n12');
  });

  it("rejects a different status line, a header value that differs or is missing, and a different body", () => {
    expect(() => assertOutputMatches(response, "HTTP/1.1 201 Created\n\n12")).to.throw(/status line/);
    expect(() => assertOutputMatches(response, 'HTTP/1.1 200 OK\nETag: "3"\n\n12')).to.throw(/header ETag/);
    expect(() => assertOutputMatches(response, "HTTP/1.1 200 OK\nLink: <x>\n\n12")).to.throw(/header Link/);
    expect(() => assertOutputMatches(response, "HTTP/1.1 200 OK\n\n13")).to.throw(/body/);
  });

  it("compares other output exactly", () => {
    assertOutputMatches("204\n", "204");
    expect(() => assertOutputMatches("404\n", "204")).to.throw(/expected output/);
  });
});
