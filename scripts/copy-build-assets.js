// After tsc: copy the files the build needs beside its JavaScript (the store's SQL migrations).
import { cpSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const from = 'src/store/pg/migrations';
const to = 'dist/store/pg/migrations';
mkdirSync(to, { recursive: true });
for (const file of readdirSync(from).filter((name) => name.endsWith('.sql'))) {
  cpSync(join(from, file), join(to, file));
}
