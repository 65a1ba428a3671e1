/**
 * A loopback TCP proxy that can be cut: point a client at it, and "the connection to the API server
 * broke" becomes real (open sockets destroyed, new connections refused) while other clients keep
 * talking to the server directly. TLS passes through untouched.
 */
import { createServer, connect, type Server, type Socket } from "node:net";

export interface TcpProxy {
  /** The port clients connect to, on 127.0.0.1. */
  readonly port: number;
  /** Connections currently open through the proxy. */
  readonly openConnections: number;
  /** Connections accepted since the start. */
  readonly acceptedConnections: number;
  /** Destroys every open connection and refuses new ones (the port stops listening). */
  cut(): Promise<void>;
  /** Listens again on the same port. */
  restore(): Promise<void>;
  /** Cuts and releases the port for good. */
  close(): Promise<void>;
}

export interface TcpProxyTarget {
  readonly host: string;
  readonly port: number;
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      const address = server.address();
      if (address === null || typeof address === "string") reject(new Error("no port"));
      else resolve(address.port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise(resolve => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => {
      resolve();
    });
  });
}

/** Starts a proxy on a free loopback port forwarding to `target`. */
export async function startTcpProxy(target: TcpProxyTarget): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let accepted = 0;
  const pipe = (client: Socket): void => {
    accepted++;
    const upstream = connect(target.port, target.host);
    for (const s of [client, upstream]) {
      open.add(s);
      s.on("close", () => {
        open.delete(s);
      });
      // Either side failing ends both, as a real broken path would.
      s.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  };
  let server = createServer(pipe);
  const port = await listen(server, 0);
  const cut = async (): Promise<void> => {
    const closing = closeServer(server);
    for (const s of open) s.destroy();
    await closing;
  };
  return {
    port,
    get openConnections() {
      return open.size;
    },
    get acceptedConnections() {
      return accepted;
    },
    cut,
    restore: async () => {
      if (server.listening) return;
      server = createServer(pipe);
      await listen(server, port);
    },
    close: cut,
  };
}
