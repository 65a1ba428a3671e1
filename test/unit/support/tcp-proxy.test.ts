import { connect, createServer, type Server, type Socket } from "node:net";
import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { startTcpProxy, type TcpProxy } from "../../support/tcp-proxy.ts";

// An echo server behind the proxy: what goes through comes back, so a hang shows as silence.
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function echoBehindProxy(): Promise<{ proxy: TcpProxy; server: Server }> {
  const server = createServer(s => s.pipe(s));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  const proxy = await startTcpProxy({ host: "127.0.0.1", port: address.port });
  cleanups.push(async () => {
    await proxy.close();
    server.close();
  });
  return { proxy, server };
}

async function dial(port: number): Promise<{ socket: Socket; received: () => string }> {
  const socket = connect(port, "127.0.0.1");
  let received = "";
  socket.on("data", (b: Buffer) => (received += b.toString()));
  socket.on("error", () => undefined);
  await once(socket, "connect");
  cleanups.push(async () => {
    socket.destroy();
    await Promise.resolve();
  });
  return { socket, received: () => received };
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise(resolve => setImmediate(resolve));
}

/** Round trips through the echo server on a second connection, so earlier bytes had their chance. */
async function roundTrip(port: number): Promise<void> {
  const probe = await dial(port);
  probe.socket.write("ping");
  await until(() => probe.received() === "ping");
}

describe("TcpProxy", () => {
  it("forwards both ways, and refuses connections once cut until restored", async () => {
    const { proxy } = await echoBehindProxy();
    const a = await dial(proxy.port);
    a.socket.write("hello");
    await until(() => a.received() === "hello");
    const closed = once(a.socket, "close");
    await proxy.cut();
    await closed;
    const refused = connect(proxy.port, "127.0.0.1");
    const [err] = (await once(refused, "error")) as [NodeJS.ErrnoException];
    expect(err.code).toBe("ECONNREFUSED");
    await proxy.restore();
    await roundTrip(proxy.port);
  });

  it("hangs: holds open and new connections without forwarding either way, then delivers on restore", async () => {
    const { proxy } = await echoBehindProxy();
    const open = await dial(proxy.port);
    await proxy.hang();
    open.socket.write("held");
    const fresh = await dial(proxy.port);
    fresh.socket.write("new");
    // Real traffic through another proxy: had the held bytes gone through, their echo would be back.
    const { proxy: other } = await echoBehindProxy();
    await roundTrip(other.port);
    expect([open.received(), fresh.received()]).toEqual(["", ""]);
    await proxy.restore();
    await until(() => open.received() === "held" && fresh.received() === "new");
    expect(proxy.openConnections).toBe(2);
  });
});
