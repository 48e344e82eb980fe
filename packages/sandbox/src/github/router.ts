import { HTTP_METHODS, type OpenApiDocument, type OperationObject } from "./openapi.js";

interface Route {
  template: string;
  segments: (string | { param: string })[];
  literals: number;
  item: Record<string, unknown>;
}

/** An operation of the description that a request matched, with its raw path parameters. */
export interface OperationMatch {
  operationId: string;
  template: string;
  method: string;
  pathParameters: Record<string, string>;
}

/** A path segment as its value: percent-decoded, or as it came when it does not decode. */
export function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Finds the operation of the description a method and path name, the way GitHub routes them. */
export class OperationRouter {
  private readonly routes: Route[];

  constructor(paths: OpenApiDocument["paths"]) {
    this.routes = Object.entries(paths).map(([template, item]) => {
      const segments = template
        .split("/")
        .slice(1)
        .map((s) => {
          const param = /^\{([^}]+)\}$/.exec(s)?.[1];
          return param ? { param } : s;
        });
      return { template, segments, literals: segments.filter((s) => typeof s === "string").length, item };
    });
  }

  /** The operation of `method` on `path`, or why there is none. */
  match(method: string, path: string): OperationMatch | { error: string } {
    const parts = path.split("/").slice(1);
    let best: { route: Route; params: Record<string, string> } | undefined;
    for (const route of this.routes) {
      if (route.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length && ok; i++) {
        const segment = route.segments[i];
        const part = parts[i] ?? "";
        if (typeof segment === "string") ok = segment === part;
        else if (part === "") ok = false;
        else params[segment?.param ?? ""] = part;
      }
      // Literal segments win over parameters: /issues/comments is not /issues/{issue_number}.
      if (ok && (!best || route.literals > best.route.literals)) best = { route, params };
    }
    if (!best) return { error: `no path of GitHub's REST API matches ${path}` };
    const operation = best.route.item[method.toLowerCase()] as OperationObject | undefined;
    if (!operation || !HTTP_METHODS.includes(method.toLowerCase())) {
      const allowed = Object.keys(best.route.item).filter((k) => HTTP_METHODS.includes(k));
      return {
        error: `${method} is not an operation of ${best.route.template} (it has ${allowed.map((m) => m.toUpperCase()).join(", ")})`,
      };
    }
    return {
      operationId: operation.operationId ?? `${method} ${best.route.template}`,
      template: best.route.template,
      method: method.toLowerCase(),
      pathParameters: best.params,
    };
  }
}
