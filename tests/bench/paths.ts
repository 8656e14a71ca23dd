/**
 * Ferry across NATs, for `npm run bench`: the emulated internet of the e2e tests
 * (network-lab.ts) with four homes — two behind port-preserving ("cone") NATs, which
 * connect directly through Ferry's own STUN, and two behind symmetric NATs, which
 * can only connect through coturn. One Ferry server, configured as `npm start`
 * reads it with a relay, serves both pairs; ICE prefers a direct path wherever one
 * exists, so the same configuration gives one direct and one relayed contender.
 */
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { loadConfig } from '../../signal-server/config.ts';
import { startServer, type RunningServer } from '../../signal-server/server.ts';
import { browserArgs } from '../e2e/browsers.ts';
import { createLab, type Home, type Lab } from '../e2e/network-lab.ts';
import { browserPid } from './processes.ts';

/** The two pairs' names in the report. */
export const PATH_LINKS = {
  direct: 'across two cone NATs: direct (STUN)',
  relay: 'across two symmetric NATs: relayed (coturn)',
} as const;

const SECRET = 'ferry-bench-relay-secret';

/** Two browsers a round runs between, and Ferry's origin for them. */
export interface Browsers {
  /** Ferry's origin: its pages, its broker. */
  origin: string;
  sender: BrowserContext;
  receiver: BrowserContext;
  senderPid: number;
  receiverPid: number;
  /** contenders.ts, bundled. */
  script: string;
}

export interface PathBench {
  direct: Browsers;
  relay: Browsers;
  close(): Promise<void>;
}

/** Builds the lab, coturn, a Ferry server on its public side and four browsers with profiles on disk. */
export async function openPathBench(work: string, site: string, script: string): Promise<PathBench> {
  const closers: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const closer of closers.reverse()) await closer().catch((error) => console.error(error));
  };
  try {
    const lab: Lab = await createLab();
    closers.push(() => lab.close());
    const relay = await lab.startCoturn({ secret: SECRET });
    closers.push(() => relay.stop());
    const env = {
      FERRY_HOST: lab.publicAddress,
      FERRY_PORT: '0',
      FERRY_STATIC_DIR: site,
      FERRY_TURN_URLS: relay.urls.join(','),
      FERRY_TURN_SECRET: SECRET,
    };
    const server: RunningServer = await startServer(loadConfig([], env), { log: (m) => console.error(m) });
    closers.push(() => server.close());
    const origin = server.url.replace(/\/$/, '');

    const pair = async (nat: 'cone' | 'symmetric'): Promise<Browsers> => {
      const [senderHome, receiverHome] = [await lab.home({ nat }), await lab.home({ nat })];
      const [sender, receiver] = await Promise.all([
        launch(senderHome, path.join(work, `${nat}-sender`), origin),
        launch(receiverHome, path.join(work, `${nat}-receiver`), origin),
      ]);
      closers.push(() => Promise.all([sender.context.close(), receiver.context.close()]));
      return { origin, script, sender: sender.context, receiver: receiver.context, senderPid: sender.pid, receiverPid: receiver.pid };
    };
    return { direct: await pair('cone'), relay: await pair('symmetric'), close };
  } catch (error) {
    await close();
    throw error;
  }
}

async function launch(home: Home, profileDir: string, origin: string): Promise<{ context: BrowserContext; pid: number }> {
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: home.executablePath,
    args: browserArgs(origin),
    headless: true,
  });
  return { context, pid: await browserPid(profileDir) };
}
