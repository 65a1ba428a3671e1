/**
 * Gateway API match criteria shared by HTTPRoute and GRPCRoute, in the IR's terms: header and query
 * parameter matches (the first entry of a name counts, later ones are ignored, as the spec says), and
 * the checks Kong would make on what the writer spells from them. A criterion Kong would reject costs
 * its rule, not the whole config; the reasons become the route's conditions.
 */
import {
  oneLine,
  routeFieldProblem,
  routeHeaderProblem,
  routePathProblem,
} from "../../kong/validate/fields.ts";
import type { HTTPHeaderMatch } from "../../model/gateway-api.ts";
import type { HeaderMatch, HttpMatch, QueryParamMatch } from "../ir/types.ts";
import { kongPath } from "../kong-writer/index.ts";

export interface Converted<T> {
  readonly value: T;
  /** Why parts of the input cannot be routed as written. */
  readonly problems: readonly string[];
}

function matchKind(type: string | undefined): "exact" | "regex" | undefined {
  switch (type ?? "Exact") {
    case "Exact":
      return "exact";
    case "RegularExpression":
      return "regex";
    default:
      return undefined;
  }
}

/** The first entry of each name (names compare case-insensitively), in spec order. */
function firstOfEachName(list: readonly HTTPHeaderMatch[]): HTTPHeaderMatch[] {
  const seen = new Set<string>();
  return list.filter(h => {
    const name = h.name.toLowerCase();
    if (seen.has(name)) return false;
    seen.add(name);
    return true;
  });
}

export function headerMatches(list: readonly HTTPHeaderMatch[]): Converted<HeaderMatch[]> {
  const problems: string[] = [];
  const value: HeaderMatch[] = [];
  for (const h of firstOfEachName(list)) {
    const name = h.name.toLowerCase();
    const kind = matchKind(h.type);
    if (kind === undefined)
      problems.push(`header ${h.name}: match type ${h.type ?? ""} is unknown`);
    else if (name === "host")
      problems.push("a Host header match is not supported: match on the route's hostnames instead");
    else {
      const kong = routeFieldProblem("headers", { [name]: [] });
      if (kong === undefined) value.push({ name, kind, values: [h.value] });
      else problems.push(`header ${h.name}: Kong refuses it: ${kong}`);
    }
  }
  return { value, problems };
}

export function queryParamMatches(list: readonly HTTPHeaderMatch[]): Converted<QueryParamMatch[]> {
  const problems: string[] = [];
  const value: QueryParamMatch[] = [];
  // Query parameter names are case-sensitive, unlike headers.
  const seen = new Set<string>();
  for (const q of list) {
    if (seen.has(q.name)) continue;
    seen.add(q.name);
    const kind = matchKind(q.type);
    if (kind === undefined)
      problems.push(`query parameter ${q.name}: match type ${q.type ?? ""} is unknown`);
    else value.push({ name: q.name, kind, value: q.value });
  }
  return { value, problems };
}

/** What Kong would refuse in a match's paths and header values, as the writer spells them. */
export function kongMatchProblems(match: HttpMatch): string[] {
  const problems: string[] = [];
  for (const path of match.paths) {
    const spelled = kongPath(path);
    const problem = routePathProblem(spelled);
    if (problem !== undefined) problems.push(`path ${spelled}: ${oneLine(problem)}`);
  }
  for (const header of match.headers ?? []) {
    if (header.kind !== "regex") continue;
    for (const value of header.values) {
      const problem = routeHeaderProblem(header.name, [`~*${value}`]);
      if (problem !== undefined) problems.push(`header ${header.name}: ${oneLine(problem)}`);
    }
  }
  return problems;
}
