// SPDX-License-Identifier: AGPL-3.0-only
// Stops the Casella instances started by global-setup.ts (SIGTERM: a graceful shutdown).
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runDir } from './tests/instance';

export default async function globalTeardown(): Promise<void> {
  for (const file of readdirSync(runDir()).filter((f) => f.endsWith('.json'))) {
    const info = JSON.parse(readFileSync(join(runDir(), file), 'utf8'));
    try { process.kill(info.pid, 'SIGTERM'); } catch { /* already gone */ }
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      try { process.kill(info.pid, 0); } catch { break; }
      await new Promise((r) => setTimeout(r, 100));
    }
    rmSync(info.data, { recursive: true, force: true });
  }
  rmSync(runDir(), { recursive: true, force: true });
}
