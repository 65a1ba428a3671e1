/**
 * A loopback TCP proxy that can be cut or made to hang: point a client at it, and "the connection to the
 * API server broke" (open sockets destroyed, new connections refused) or "the API server stopped
 * answering" (connections accepted, nothing forwarded either way) becomes real while other clients keep
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
  /**
   * Keeps accepting connections but forwards nothing, either way, on new or open ones: what a client
   * sees of a server that hangs or of a network that drops packets. `restore()` delivers what was held.
   */
  hang(): Promise<void>;
  /** Listens again on the same port (after a cut), or forwards again (after a hang). */
  restore(): Promise<void>;
  /** Cuts and releases the port for good. */
  close(): Promise<void>;
}

export interface TcpProxyTarget {
  readonly host: string;
  readonly port: number;
}

/** One client connection and its upstream, with what a hang held back in each direction. */
interface Link {
  readonly client: Socket;
  upstream: Socket | undefined;
  readonly toUpstream: (Buffer | "end")[];
  readonly toClient: (Buffer | "end")[];
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

function send(to: Socket, item: Buffer | "end"): void {
  if (item === "end") to.end();
  else to.write(item);
}

/** Starts a proxy on a free loopback port forwarding to `target`. */
export async function startTcpProxy(target: TcpProxyTarget): Promise<TcpProxy> {
  const links = new Set<Link>();
  let accepted = 0;
  let hung = false;

  const drop = (link: Link): void => {
    links.delete(link);
    link.client.destroy();
    link.upstream?.destroy();
  };
  // Either side failing or closing ends both, as a real broken path would.
  const watch = (link: Link, socket: Socket): void => {
    socket.on("error", () => {
      drop(link);
    });
    socket.on("close", () => {
      drop(link);
    });
  };
  const forward = (
    link: Link,
    direction: "toUpstream" | "toClient",
    item: Buffer | "end",
  ): void => {
    const to = direction === "toUpstream" ? link.upstream : link.client;
    if (hung || to === undefined) link[direction].push(item);
    else send(to, item);
  };
  const connectUpstream = (link: Link): void => {
    const upstream = connect(target.port, target.host);
    link.upstream = upstream;
    watch(link, upstream);
    upstream.on("data", (chunk: Buffer) => {
      forward(link, "toClient", chunk);
    });
    upstream.on("end", () => {
      forward(link, "toClient", "end");
    });
  };
  const flush = (link: Link): void => {
    if (link.upstream === undefined) connectUpstream(link);
    const upstream = link.upstream;
    if (upstream !== undefined) for (const item of link.toUpstream.splice(0)) send(upstream, item);
    for (const item of link.toClient.splice(0)) send(link.client, item);
  };
  const accept = (client: Socket): void => {
    accepted++;
    const link: Link = { client, upstream: undefined, toUpstream: [], toClient: [] };
    links.add(link);
    // The client's end must not close the link by itself: half-closed connections are forwarded.
    client.allowHalfOpen = true;
    watch(link, client);
    client.on("data", (chunk: Buffer) => {
      forward(link, "toUpstream", chunk);
    });
    client.on("end", () => {
      forward(link, "toUpstream", "end");
    });
    // A hung proxy accepts, then sits on the connection; the upstream is opened only on restore.
    if (!hung) connectUpstream(link);
  };

  let server = createServer({ allowHalfOpen: true }, accept);
  const port = await listen(server, 0);
  const cut = async (): Promise<void> => {
    hung = false;
    const closing = closeServer(server);
    for (const link of [...links]) drop(link);
    await closing;
  };
  const listenAgain = async (): Promise<void> => {
    if (server.listening) return;
    server = createServer({ allowHalfOpen: true }, accept);
    await listen(server, port);
  };
  return {
    port,
    get openConnections() {
      return links.size;
    },
    get acceptedConnections() {
      return accepted;
    },
    cut,
    hang: async () => {
      hung = true;
      await listenAgain();
    },
    restore: async () => {
      if (hung) {
        hung = false;
        for (const link of [...links]) flush(link);
      }
      await listenAgain();
    },
    close: cut,
  };
}
