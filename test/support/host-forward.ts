/**
 * Makes a loopback server reachable on one of the machine's own non-loopback IPv4 addresses. The API
 * server refuses loopback addresses in EndpointSlices, so a test that writes the slices of services it
 * runs on 127.0.0.1 names them through a forward like this one. Each connection is piped to the target
 * as it comes; a target that is down makes it close at once, as the target itself would.
 */
import { connect, createServer, type Socket } from "node:net";
import { networkInterfaces } from "node:os";

export interface HostForward {
  /** `host:port` the forward listens on. */
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/** The first non-internal IPv4 address of this machine; throws when it has none. */
export function hostAddress(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  throw new Error(
    "this test needs a non-loopback IPv4 address: the API server refuses loopback EndpointSlice addresses",
  );
}

/** Listens on `hostAddress()` (a free port) and forwards every connection to 127.0.0.1:`port`. */
export async function forwardFromHost(port: number): Promise<HostForward> {
  const host = hostAddress();
  const open = new Set<Socket>();
  const server = createServer(client => {
    const upstream = connect(port, "127.0.0.1");
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on("close", () => open.delete(socket));
      socket.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("forward has no port");
  return {
    host,
    port: address.port,
    close: () =>
      new Promise<void>(resolve => {
        for (const socket of open) socket.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}
