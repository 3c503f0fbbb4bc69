// SPDX-License-Identifier: AGPL-3.0-only
// Starts one Casella per project on free ports with a fresh data folder, waits for
// "casella ready", and records its address and the printed passwords (first operator and
// demo data: the demo customer's legal representative is alice, who receives credentials).
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { casellaBin, runDir } from './tests/instance';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

async function start(project: string): Promise<void> {
  const names = ['HTTP_PORT', 'PORTS__SMTP', 'PORTS__SUBMISSION', 'PORTS__SUBMISSIONS', 'PORTS__IMAP',
    'PORTS__IMAPS', 'PORTS__POP3', 'PORTS__POP3S', 'PORTS__MANAGESIEVE', 'XMPP__PORT', 'XMPP__TLS_PORT'];
  const ports: Record<string, number> = {};
  const taken = new Set<number>();
  for (const name of names) {
    let port = await freePort();
    while (taken.has(port)) port = await freePort();
    taken.add(port);
    ports[name] = port;
  }
  const data = mkdtempSync(join(tmpdir(), `casella-e2e-${project}-`));
  const env: Record<string, string> = { ...process.env as Record<string, string>, CASELLA_LOG: 'warn',
    CASELLA_HOSTNAME: 'mail.casella.test',
    // The Time Machine spec checks the price shown before a restore.
    CASELLA_RESTORE_PRICE_CENTS: '2500',
    // The HTML mail spec's "sender" serves its images from 127.0.0.1.
    CASELLA_IMAGE_PROXY_PRIVATE_ADDRESSES: 'true',
    // RFC 7677's floor: the debug build derives chat verifiers without optimisation.
    CASELLA_XMPP__SCRAM_ITERATIONS: '4096' };
  for (const [name, port] of Object.entries(ports)) env[`CASELLA_${name}`] = String(port);
  const child = spawn(casellaBin(), ['serve', '--demo', '--data-dir', data], { env, stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  const printed: Record<string, string> = {};
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`casella (${project}) not ready in 120 s`)), 120_000);
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        const words = line.trim().split(/\s+/);
        if (words.length === 3 && ['operator', 'postmaster', 'user'].includes(words[0])) {
          printed[words[1]] = words[2];
          if (words[0] === 'operator') {
            printed.operatorLogin = words[1];
            printed.operatorPassword = words[2];
          }
        }
        if (line.startsWith('casella ready')) {
          clearTimeout(timer);
          resolve();
        }
      }
    });
    child.on('exit', (code) => reject(new Error(`casella (${project}) exited early with ${code}`)));
  });
  child.stdout!.resume();
  child.unref();
  mkdirSync(runDir(), { recursive: true });
  writeFileSync(join(runDir(), `${project}.json`), JSON.stringify({
    pid: child.pid, url: `http://127.0.0.1:${ports.HTTP_PORT}`, data,
    ports: { imaps: ports.PORTS__IMAPS, pop3s: ports.PORTS__POP3S, submission: ports.PORTS__SUBMISSION,
      submissions: ports.PORTS__SUBMISSIONS, xmpp: ports.XMPP__PORT },
    operatorLogin: printed.operatorLogin, operatorPassword: printed.operatorPassword,
    demo: printed,
  }, null, 2));
}

export default async function globalSetup(): Promise<void> {
  for (const project of ['no-js', 'hydrated']) await start(project);
}
