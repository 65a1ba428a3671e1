/**
 * Gateway API hostname matching: a listener's hostname and a route's hostnames intersect to the more
 * specific of each matching pair. A wildcard `*.example.com` matches one or more labels in front of
 * `example.com`, never `example.com` itself.
 */

function wildcardMatches(wildcard: string, host: string): boolean {
  const suffix = wildcard.slice(1); // ".example.com"
  return host.length > suffix.length && host.endsWith(suffix);
}

/** The hostname both accept, if any: the more specific one. */
function intersect(listener: string, route: string): string | undefined {
  if (listener === route) return route;
  const lw = listener.startsWith("*.");
  const rw = route.startsWith("*.");
  if (lw && !rw) return wildcardMatches(listener, route) ? route : undefined;
  if (!lw && rw) return wildcardMatches(route, listener) ? listener : undefined;
  if (lw && rw) {
    if (wildcardMatches(listener, route.slice(2)) || listener === route) return route;
    if (wildcardMatches(route, listener.slice(2))) return listener;
  }
  return undefined;
}

/**
 * The hostnames a route serves on a listener: `undefined` means any host (neither names one); an empty
 * list means they do not intersect, so the route does not attach there.
 */
export function effectiveHostnames(
  listenerHostname: string | undefined,
  routeHostnames: readonly string[],
): readonly string[] | undefined {
  if (listenerHostname === undefined || listenerHostname === "")
    return routeHostnames.length === 0 ? undefined : [...new Set(routeHostnames)];
  if (routeHostnames.length === 0) return [listenerHostname];
  const out = new Set<string>();
  for (const host of routeHostnames) {
    const both = intersect(listenerHostname, host);
    if (both !== undefined) out.add(both);
  }
  return [...out];
}
