import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import formatsModule from "ajv-formats";
import type { JsonObject, OpenApiDocument, OperationObject, ParameterObject } from "./openapi.js";
import { type OperationMatch, safeDecode } from "./router.js";

const COMPONENTS_ID = "github-components";

/**
 * OpenAPI 3.0 schema → JSON Schema for Ajv: `nullable: true` becomes a `null` type (or an `anyOf` with null where
 * there is no `type`, which Ajv's own `nullable` refuses), and `#/components/…` references point at the
 * components schema registered with Ajv. Returns a new object; the description is not changed.
 */
function toJsonSchema(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toJsonSchema);
  if (value === null || typeof value !== "object") return value;
  const source = value as JsonObject;
  const out: JsonObject = {};
  for (const [key, child] of Object.entries(source)) {
    if (key === "$ref" && typeof child === "string" && child.startsWith("#/"))
      out[key] = COMPONENTS_ID + child;
    else if (key === "nullable" && typeof child === "boolean") continue;
    else out[key] = toJsonSchema(child);
  }
  if (source.nullable !== true) return out;
  if (typeof out.type === "string") {
    out.type = [out.type, "null"];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    return out;
  }
  return { anyOf: [out, { type: "null" }] };
}

interface CompiledOperation {
  operationId: string;
  pathParameters: ParameterObject[];
  queryParameters: Map<string, ParameterObject>;
  validatePath: ValidateFunction;
  validateQuery: ValidateFunction;
  body?: { required: boolean; validate: ValidateFunction; knownProperties?: Set<string> };
}

function describeAjvErrors(where: string, errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => {
    const at = e.instancePath ? `${where}${e.instancePath}` : where;
    const detail =
      e.keyword === "enum"
        ? ` (${(e.params as { allowedValues?: unknown[] }).allowedValues?.map((v) => JSON.stringify(v)).join(", ")})`
        : e.keyword === "additionalProperties"
          ? ` (${JSON.stringify((e.params as { additionalProperty?: string }).additionalProperty)})`
          : "";
    return `${at}: ${e.message ?? e.keyword}${detail}`;
  });
}

/** A query or path value as its schema's type reads it; left as text when it does not parse, so validation says so. */
function coerceParameter(value: string, schema: JsonObject | undefined): unknown {
  const type = schema?.type;
  if ((type === "integer" || type === "number") && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  if (type === "boolean" && (value === "true" || value === "false")) return value === "true";
  return value;
}

/** Checks requests and answers against an operation's schemas, compiling its validators on first use. */
export class OperationValidator {
  private readonly ajv: Ajv;
  private readonly operations = new Map<string, CompiledOperation>();
  private readonly responseValidators = new Map<string, ValidateFunction | null>();

  constructor(private readonly document: OpenApiDocument) {
    // Unknown keywords (`example`, `x-github`, `discriminator`) are annotations here, and OpenAPI's `int32`-style
    // formats are not checked: strict mode off, logging off.
    this.ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, logger: false });
    formatsModule.default(this.ajv);
    this.ajv.addSchema(
      toJsonSchema({ components: { schemas: document.components.schemas } }) as JsonObject,
      COMPONENTS_ID,
    );
  }

  /**
   * The problems of a request against its operation: path parameters, query parameters (values coerced from text
   * the way a server reads them; a parameter the operation does not document is a problem too, since GitHub
   * would silently ignore it), and the JSON body (a top-level property the schema does not list is a problem for
   * the same reason).
   */
  validateRequest(match: OperationMatch, query: URLSearchParams, body: unknown, hasBody: boolean): string[] {
    const operation = this.compile(match);
    const problems: string[] = [];

    const pathValues: JsonObject = {};
    for (const p of operation.pathParameters) {
      const raw = match.pathParameters[p.name];
      if (raw !== undefined) pathValues[p.name] = coerceParameter(safeDecode(raw), p.schema);
    }
    if (!operation.validatePath(pathValues)) {
      problems.push(...describeAjvErrors("path", operation.validatePath.errors));
    }

    const queryValues: JsonObject = {};
    for (const name of new Set(query.keys())) {
      const parameter = operation.queryParameters.get(name);
      if (!parameter) {
        problems.push(`query: ${name} is not a parameter of ${operation.operationId}`);
        continue;
      }
      const values = query.getAll(name);
      queryValues[name] =
        parameter.schema?.type === "array"
          ? values.map((v) => coerceParameter(v, parameter.schema?.items as JsonObject | undefined))
          : coerceParameter(values[values.length - 1] ?? "", parameter.schema);
    }
    if (!operation.validateQuery(queryValues)) {
      problems.push(...describeAjvErrors("query", operation.validateQuery.errors));
    }

    if (!operation.body) {
      if (hasBody) problems.push(`body: ${operation.operationId} takes no request body`);
    } else if (!hasBody) {
      if (operation.body.required) problems.push(`body: ${operation.operationId} requires a JSON body`);
    } else {
      if (!operation.body.validate(body)) {
        problems.push(...describeAjvErrors("body", operation.body.validate.errors));
      }
      const known = operation.body.knownProperties;
      if (known && body !== null && typeof body === "object" && !Array.isArray(body)) {
        for (const key of Object.keys(body)) {
          if (!known.has(key)) problems.push(`body: ${key} is not a property of ${operation.operationId}`);
        }
      }
    }
    return problems;
  }

  /** The problems of an answer against the operation's documented response for that status. */
  validateResponse(match: OperationMatch, status: number, body: unknown): string[] {
    const key = `${match.method} ${match.template} ${status}`;
    let validate = this.responseValidators.get(key);
    if (validate === undefined) {
      const response = this.operationObject(match).responses?.[String(status)];
      const schema =
        response && !("$ref" in response) ? response.content?.["application/json"]?.schema : undefined;
      validate = schema ? this.ajv.compile(toJsonSchema(schema) as JsonObject) : null;
      this.responseValidators.set(key, validate);
    }
    if (validate === null) {
      return status >= 400 ? [] : [`response: ${status} is not a documented answer of ${match.operationId}`];
    }
    return validate(body) ? [] : describeAjvErrors("response", validate.errors);
  }

  private operationObject(match: OperationMatch): OperationObject {
    const item = this.document.paths[match.template] ?? {};
    return item[match.method] as OperationObject;
  }

  private resolveParameter(parameter: ParameterObject | { $ref: string }): ParameterObject {
    if (!("$ref" in parameter)) return parameter;
    const name = parameter.$ref.replace("#/components/parameters/", "");
    const resolved = this.document.components.parameters[name];
    if (!resolved) throw new Error(`the description has no parameter ${parameter.$ref}`);
    return resolved;
  }

  private resolveSchema(schema: JsonObject | undefined): JsonObject | undefined {
    let current = schema;
    for (let depth = 0; current && typeof current.$ref === "string" && depth < 10; depth++) {
      current = this.document.components.schemas[current.$ref.replace("#/components/schemas/", "")];
    }
    return current;
  }

  private compile(match: OperationMatch): CompiledOperation {
    const key = `${match.method} ${match.template}`;
    const cached = this.operations.get(key);
    if (cached) return cached;
    const item = this.document.paths[match.template] ?? {};
    const operation = this.operationObject(match);
    const parameters = [
      ...((item.parameters as ParameterObject[] | undefined) ?? []),
      ...(operation.parameters ?? []),
    ].map((p) => this.resolveParameter(p));
    const objectSchema = (list: ParameterObject[]) => ({
      type: "object",
      properties: Object.fromEntries(list.map((p) => [p.name, toJsonSchema(p.schema ?? {})])),
      required: list.filter((p) => p.required).map((p) => p.name),
    });
    const pathParameters = parameters.filter((p) => p.in === "path");
    const queryParameters = parameters.filter((p) => p.in === "query");
    const compiled: CompiledOperation = {
      operationId: match.operationId,
      pathParameters,
      queryParameters: new Map(queryParameters.map((p) => [p.name, p])),
      validatePath: this.ajv.compile(objectSchema(pathParameters)),
      validateQuery: this.ajv.compile(objectSchema(queryParameters)),
    };
    const jsonBody = operation.requestBody?.content?.["application/json"]?.schema;
    if (jsonBody) {
      const resolved = this.resolveSchema(jsonBody);
      const knownProperties =
        resolved?.properties && resolved.additionalProperties === undefined
          ? new Set(Object.keys(resolved.properties as JsonObject))
          : undefined;
      compiled.body = {
        required: operation.requestBody?.required === true,
        validate: this.ajv.compile(toJsonSchema(jsonBody) as JsonObject),
        knownProperties,
      };
    }
    this.operations.set(key, compiled);
    return compiled;
  }
}
