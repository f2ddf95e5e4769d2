// Small console helpers for the stack and start scripts: one line per step, a live
// "waiting" line on a terminal and a periodic one in logs (CI). Passwords in URLs are masked.
import { redactCredentials } from './redact.mjs';

const interactive = Boolean(process.stdout.isTTY);

export function say(scope, message) {
  process.stdout.write(`[${scope}] ${redactCredentials(message)}\n`);
}

/** Shows "scope: what ... 12s" while `check()` is false; resolves true once it is true. */
export async function waitFor(scope, what, check, { timeoutMs, intervalMs = 1000 }) {
  const started = Date.now();
  let lastPrinted = 0;
  for (;;) {
    let ok = false;
    try {
      ok = await check();
    } catch {
      ok = false;
    }
    const elapsed = Math.round((Date.now() - started) / 1000);
    if (ok) {
      if (interactive) process.stdout.write('\r\x1b[K');
      say(scope, `${what}: ready after ${elapsed}s`);
      return true;
    }
    if (Date.now() - started > timeoutMs) {
      if (interactive) process.stdout.write('\r\x1b[K');
      say(scope, `${what}: not ready after ${elapsed}s`);
      return false;
    }
    if (interactive) {
      process.stdout.write(
        `\r\x1b[K[${scope}] waiting for ${redactCredentials(what)} ... ${elapsed}s`,
      );
    } else if (elapsed - lastPrinted >= 10) {
      lastPrinted = elapsed;
      say(scope, `waiting for ${what} ... ${elapsed}s`);
    }
    await sleep(intervalMs);
  }
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
