// The mails a server started by `startServer` writes (MAIL_MAILER=file) to storage/mail/ under its
// working directory, the repository root: the links in them, read once each.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { ROOT } from './server.mjs';

export const MAIL_DIR = path.join(ROOT, 'storage', 'mail');

/** The .eml files this test read: only these are removed afterwards. */
export const readMails = new Set();

/**
 * Waits for a mail to `to`, not read before, with a link containing `marker` alone on a line;
 * resolves to that link. The mail thread writes the file a little after the request answered.
 */
export async function mailedLink(to, marker) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const names = fs.existsSync(MAIL_DIR) ? fs.readdirSync(MAIL_DIR) : [];
    for (const name of names.filter((n) => n.endsWith('.eml') && !readMails.has(n))) {
      // Only complete lines: the file may still be being written.
      const lines = fs.readFileSync(path.join(MAIL_DIR, name), 'utf8').split(/\r?\n/).slice(0, -1);
      const recipient = lines.find((line) => /^To:/i.test(line))?.replace(/^To:\s*/i, '').replace(/[<>]/g, '').trim();
      if (recipient?.toLowerCase() !== to.toLowerCase()) continue;
      const link = lines.find((line) => /^https?:\/\/\S+$/.test(line) && line.includes(marker));
      if (link) {
        readMails.add(name);
        return new URL(link);
      }
    }
    if (Date.now() > deadline) assert.fail(`no mail to ${to} with a link containing ${marker}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Removes the .eml files read by this test file. */
export function removeReadMails() {
  for (const name of readMails) fs.rmSync(path.join(MAIL_DIR, name), { force: true });
}
