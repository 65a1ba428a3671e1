/**
 * What Kong's expressions router cannot take of a route, said rather than dropped silently (KIC drops
 * such values without a word). A host, SNI or method KIC's patterns refuse is left out of the route's
 * expression: while others of its list remain the route only matches less, a warning; when none remain
 * the route would match every host (SNI, method), or a stream route nothing, so it is refused. Route
 * settings the router has no field for are ignored, a warning.
 */
import type { IrRoute, IrStreamRoute } from "../ir/types.ts";
import { expressibleHost, expressibleMethod, expressibleSni } from "./atc.ts";

interface Criterion {
  readonly what: string;
  readonly plural: string;
  readonly expressible: (value: string) => boolean;
}

const HOSTS: Criterion = { what: "host", plural: "hosts", expressible: expressibleHost };
const SNIS: Criterion = { what: "SNI", plural: "SNIs", expressible: expressibleSni };
const METHODS: Criterion = { what: "method", plural: "methods", expressible: expressibleMethod };

const NOTHING: readonly string[] = Object.freeze([]);

function criteria(route: IrRoute): [Criterion, readonly string[]][] {
  if (route.kind === "stream") return [[SNIS, route.snis ?? []]];
  const m = route.match;
  return [
    [HOSTS, m.hosts],
    [METHODS, m.methods ?? []],
    [SNIS, m.snis ?? []],
  ];
}

/** Why the expressions router cannot take `route` at all; empty when it can. */
export function expressionRefusals(route: IrRoute): readonly string[] {
  let found: string[] | undefined;
  for (const [criterion, values] of criteria(route)) {
    if (values.length === 0 || values.some(criterion.expressible)) continue;
    const widened =
      route.kind !== "stream"
        ? `it would match any ${criterion.what}`
        : hasPort(route)
          ? "it would match any SNI"
          : "its expression would be empty, which Kong refuses";
    (found ??= []).push(
      `none of its ${criterion.plural} (${values.join(", ")}) can be written for Kong's expressions router, and without them ${widened}`,
    );
  }
  if (route.kind === "stream" && (route.snis ?? []).length === 0 && !hasPort(route)) {
    (found ??= []).push(
      "it matches on nothing Kong's expressions router can express (no SNI, no destination port)",
    );
  }
  return found ?? NOTHING;
}

const hasPort = (route: IrStreamRoute): boolean =>
  (route.destinations ?? []).some(d => d.port !== undefined);

/** What the expressions router leaves out of a route it takes: values of a list, ignored settings. */
export function expressionLosses(route: IrRoute): readonly string[] {
  let found: string[] | undefined;
  for (const [criterion, values] of criteria(route)) {
    for (const value of values)
      if (!criterion.expressible(value))
        (found ??= []).push(
          `${criterion.what} "${value}" cannot be written for Kong's expressions router and is not matched`,
        );
  }
  if (route.kind === "http") {
    const { settings } = route;
    if (settings.regexPriority !== undefined)
      (found ??= []).push(
        "konghq.com/regex-priority is ignored under Kong's expressions router: routes are ordered by their priority",
      );
    if (settings.pathHandling !== undefined)
      (found ??= []).push(
        "konghq.com/path-handling is ignored under Kong's expressions router, which has no path_handling",
      );
  }
  return found ?? NOTHING;
}
