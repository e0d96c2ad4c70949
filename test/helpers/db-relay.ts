// A TCP relay between ddcn and its database, for the ways a database is lost: `freeze()` lets nothing pass either
// way and closes no connection, on either side, as when a machine is cut off (new connections are taken and left
// unanswered); `reset()` resets every connection through it and refuses new ones, as a restarted server or a
// firewall sending resets does.
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

export interface DbRelay {
  url: string;
  freeze: () => void;
  reset: () => void;
  close: () => void;
}

export async function dbRelay(url: string): Promise<DbRelay> {
  const target = new URL(url);
  let state: 'open' | 'frozen' | 'reset' = 'open';
  const sockets = new Set<Socket>();
  const relay = createServer((client) => {
    client.on('error', () => undefined);
    if (state === 'reset') return void client.resetAndDestroy();
    sockets.add(client);
    if (state === 'frozen') return;
    const upstream = connect(Number(target.port || 5432), target.hostname);
    upstream.on('error', () => undefined);
    sockets.add(upstream);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  const through = new URL(url);
  through.hostname = '127.0.0.1';
  through.port = String((relay.address() as AddressInfo).port);
  return {
    url: through.toString(),
    freeze: () => {
      state = 'frozen';
      for (const s of sockets) {
        s.unpipe();
        s.pause();
        // Not closed when the other side ends: the far end never hears of it.
        s.removeAllListeners('end');
      }
    },
    reset: () => {
      state = 'reset';
      for (const s of sockets) s.resetAndDestroy();
      sockets.clear();
    },
    close: () => {
      for (const s of sockets) s.destroy();
      relay.close();
    },
  };
}
