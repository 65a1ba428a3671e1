/** Loopback ports for tests that start servers, or need a port that refuses connections. */
import { createServer } from "node:net";

/** A loopback port that was free a moment ago; nothing listens on it until the caller binds it. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === "object") resolve(address.port);
        else reject(new Error("could not allocate a port"));
      });
    });
  });
}
