// Owns picking a free TCP port on loopback for servers the tests start.
import net from "node:net";

/** A port the kernel considers free right now (bind to 0, read it, release it); racy but fine for tests. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
