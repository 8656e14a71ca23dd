// Entry point: `node --import tsx signal-server/main.ts [--host H] [--port N]`.

import os from 'node:os';
import { ConfigError, configWarnings, isTurnUrl, loadConfig, type ServerConfig } from './config.ts';
import { startServer, type RunningServer } from './server.ts';

async function main(): Promise<void> {
  let config: ServerConfig;
  let running: RunningServer;
  try {
    config = loadConfig(process.argv.slice(2), process.env);
    running = await startServer(config);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`ferry: ${error.message}`);
      process.exit(2);
    }
    // Most likely EADDRINUSE / EACCES / EADDRNOTAVAIL from listen().
    console.error(`ferry: cannot start: ${(error as Error).message}`);
    process.exit(1);
  }

  console.log(`Ferry is running at ${running.url}`);
  const lan = lanUrls(config, running.url);
  if (lan.length > 0) {
    console.log('On your network:');
    for (const url of lan) console.log(`  ${url}`);
    if (!config.tls) {
      // Browsers treat only https and loopback as secure contexts; elsewhere the
      // PWA cannot install its service worker and crypto.subtle is missing.
      console.log(
        'Note: other devices need HTTPS for Ferry to work fully (set FERRY_TLS_CERT and FERRY_TLS_KEY).',
      );
    }
  }
  if (running.stunPort !== undefined) {
    console.log(`STUN: answering on UDP ${config.stun!.host} port ${running.stunPort}, for devices to learn their public address.`);
  }
  if (config.turn) {
    // The URLs only: the secret never appears in a log.
    console.log(`Relay: ${config.turn.urls.join(', ')}, credentials valid for ${config.turn.ttlSeconds} s.`);
  } else if (!config.iceServers.some((server) => [server.urls].flat().some(isTurnUrl))) {
    console.log('No relay (FERRY_TURN_URLS): devices behind strict NATs cannot connect. See "Across networks" in docs/operating.md.');
  }
  for (const warning of configWarnings(config)) console.warn(`Warning: ${warning}`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1); // a second Ctrl-C means "now"
    stopping = true;
    console.log(`${signal}: shutting down`);
    running.close().then(
      // Exit explicitly: the peer package starts housekeeping timers that it
      // never stops, so the event loop would otherwise stay alive forever.
      () => process.exit(0),
      (error: Error) => {
        console.error(`ferry: error while closing: ${error.message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/** When listening on a wildcard address, the URLs other devices can use. */
function lanUrls(config: ServerConfig, localUrl: string): string[] {
  if (config.host !== '0.0.0.0' && config.host !== '::') return [];
  const { protocol, port } = new URL(localUrl);
  const urls: string[] = [];
  for (const addresses of Object.values(os.networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.internal) continue;
      // 0.0.0.0 is IPv4 only; :: normally accepts both families (dual stack).
      if (config.host === '0.0.0.0' && address.family !== 'IPv4') continue;
      // Link-local IPv6 needs a zone id that browsers do not accept in URLs.
      if (address.family === 'IPv6' && address.address.startsWith('fe80:')) continue;
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      urls.push(`${protocol}//${host}:${port}/`);
    }
  }
  return urls;
}

await main();
