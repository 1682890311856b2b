// After tsc: copy the files the build needs beside its JavaScript (the store's SQL migrations), and make the
// CLI executable.
import { chmodSync, cpSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const from = 'src/store/pg/migrations';
const to = 'dist/store/pg/migrations';
mkdirSync(to, { recursive: true });
for (const file of readdirSync(from).filter((name) => name.endsWith('.sql'))) {
  cpSync(join(from, file), join(to, file));
}

// The CLI is run as a program (its first lines start node with the daemon's V8 flags), as npm makes a
// package's bin executable when it installs it.
chmodSync('dist/cli/main.js', 0o755);
