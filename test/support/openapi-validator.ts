import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import openApi from "../../src/interfaces/http/openapi.json";

type Json = Record<string, unknown>;

export interface ObservedResponse {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
}

const DOCUMENT_ID = "kv-openapi";

/**
 * Checks real responses against src/interfaces/http/openapi.json: the status
 * must be documented for the operation, required headers present and valid,
 * the content type documented and the body valid against its schema.
 * Undocumented paths must answer 404 and undocumented methods 405/501, both
 * as problem documents.
 */
export class OpenApiValidator {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  readonly seen = new Set<string>();

  constructor() {
    addFormats(this.ajv);
    this.ajv.addSchema({ ...(openApi as Json), $id: DOCUMENT_ID });
  }

  /** Throws with every mismatch found. */
  check(response: ObservedResponse): void {
    const errors = this.errors(response);
    if (errors.length > 0) {
      throw new Error(`${response.method} ${response.path} -> ${response.status} does not match the OpenAPI document:\n  ${errors.join("\n  ")}`);
    }
  }

  private errors({ method, path, status, headers, body }: ObservedResponse): string[] {
    const template = templateOf(path);
    const paths = (openApi as Json).paths as Record<string, Json>;
    let documented: Json | undefined;
    if (template === null) {
      if (status !== 404) return [`undocumented path answered ${status}, expected 404`];
      documented = { headers: { "X-Request-Id": components("headers/X-Request-Id") }, content: { "application/problem+json": { schema: components("schemas/Problem") } } };
    } else {
      const operation = paths[template][method.toLowerCase()] as Json | undefined;
      if (operation === undefined) {
        if (status !== 405 && status !== 501) return [`undocumented method answered ${status}, expected 405 or 501`];
        documented = this.resolve(components("responses/MethodNotAllowed"));
        if (status === 405 && !headers.get("allow")) return ["405 without an Allow header"];
      } else {
        const responses = operation.responses as Record<string, Json>;
        const declared = responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses.default;
        if (declared === undefined) return [`status ${status} is not documented for ${method} ${template}`];
        documented = this.resolve(declared);
        this.seen.add(`${method} ${template} ${status}`);
      }
    }
    return [...this.headerErrors(documented, headers), ...this.bodyErrors(documented, method, status, headers, body)];
  }

  private headerErrors(response: Json, headers: Headers): string[] {
    const errors: string[] = [];
    for (const [name, declared] of Object.entries((response.headers ?? {}) as Record<string, Json>)) {
      const header = this.resolve(declared);
      const value = headers.get(name);
      if (value === null) {
        if (header.required === true) errors.push(`required header ${name} is missing`);
        continue;
      }
      const validate = this.ajv.compile(header.schema as Json);
      if (!validate(value)) errors.push(`header ${name}: ${this.ajv.errorsText(validate.errors)} (value ${JSON.stringify(value)})`);
    }
    return errors;
  }

  private bodyErrors(response: Json, method: string, status: number, headers: Headers, body: string): string[] {
    const content = response.content as Record<string, Json> | undefined;
    if (method === "HEAD" || status === 304 || status === 204 || content === undefined) {
      return body === "" ? [] : [`a body was sent where none is documented: ${body.slice(0, 80)}`];
    }
    const mediaType = (headers.get("content-type") ?? "").split(";")[0].trim();
    const media = content[mediaType];
    if (media === undefined) return [`content type ${JSON.stringify(mediaType)} is not documented (documented: ${Object.keys(content).join(", ")})`];
    if (!mediaType.endsWith("json")) return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return [`the body is not JSON: ${body.slice(0, 80)}`];
    }
    const validate = this.ajv.compile(this.resolve(media.schema as Json));
    return validate(parsed) ? [] : [`body: ${this.ajv.errorsText(validate.errors)}`];
  }

  /** Follows a local $ref once (the document's refs are one level deep), re-rooting nested refs to the document. */
  private resolve(node: Json): Json {
    const ref = node.$ref;
    if (typeof ref !== "string") return rebase(node);
    const target = ref
      .slice(ref.indexOf("#/") + 2)
      .split("/")
      .reduce<unknown>((at, part) => (at as Json)[part], openApi) as Json;
    return rebase(target);
  }
}

function components(path: string): Json {
  return { $ref: `#/components/${path}` };
}

/** Schemas compiled on their own must point their refs at the registered document. */
function rebase(node: Json): Json {
  return JSON.parse(JSON.stringify(node).replaceAll('"$ref":"#/', `"$ref":"${DOCUMENT_ID}#/`)) as Json;
}

function templateOf(path: string): string | null {
  if (path === "/keys") return "/keys";
  if (/^\/keys\/[^/]+$/.test(path)) return "/keys/{key}";
  const paths = Object.keys((openApi as Json).paths as Json);
  return paths.includes(path) ? path : null;
}
