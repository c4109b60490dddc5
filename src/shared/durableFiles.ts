import { closeSync, fsyncSync, openSync, writeFileSync } from 'node:fs';

/** Writes a whole file and syncs it to disk before returning (its name is not: see syncDirectory). */
export function writeFileDurably(path: string, data: string | Buffer, mode?: number): void {
  const fd = openSync(path, 'w', mode);
  try {
    writeFileSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Makes the names created, renamed or removed in `dir` durable: without it, a crash could lose a new file whole. */
export function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
