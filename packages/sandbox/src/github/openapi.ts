// The parts of an OpenAPI 3.0 document the receiver reads, typed no further than it needs.

export type JsonObject = Record<string, unknown>;

export interface ParameterObject {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required?: boolean;
  schema?: JsonObject;
}

export interface OperationObject {
  operationId?: string;
  parameters?: (ParameterObject | { $ref: string })[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: JsonObject }> };
  responses?: Record<string, { content?: Record<string, { schema?: JsonObject }> } | { $ref: string }>;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, unknown>>;
  components: {
    schemas: Record<string, JsonObject>;
    parameters: Record<string, ParameterObject>;
    responses?: Record<string, unknown>;
  };
}

/** The keys of a path item that are operations (the others are `parameters`, `summary`, …). */
export const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
