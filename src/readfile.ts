import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

/**
 * Reads a file the run did not write itself (config, baseline, go.mod, cache entry, Go source) only when
 * it is a regular file of at most `maxBytes`. readFileSync would block forever on a FIFO, and read a
 * link to /dev/zero until the heap is gone. The file is opened without blocking (a FIFO's open would
 * wait for a writer) and checked on the open descriptor, so a file swapped in between cannot slip past.
 * Throws an error with `code` ENOTREG or EFBIG, or the system's error.
 */
export function readRegularFile(file: string, maxBytes: number): Buffer {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'ENOTREG' });
    if (st.size > maxBytes) throw Object.assign(new Error(`larger than ${maxBytes} bytes`), { code: 'EFBIG' });
    const buf = Buffer.allocUnsafe(st.size);
    let filled = 0;
    // A file that shrinks while read ends early; one that grows is read as it was when opened.
    while (filled < buf.length) {
      const n = readSync(fd, buf, filled, buf.length - filled, filled);
      if (n === 0) break;
      filled += n;
    }
    return buf.subarray(0, filled);
  } finally {
    closeSync(fd);
  }
}

/** Why a read failed, in words and without the path (messages name the file their own way). */
export function readErrorReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  const message = (err as Error).message;
  // The system's errors read `EACCES: permission denied, open '/the/path'`.
  return /^[A-Z]+: ([^,]+),/.exec(message)?.[1] ?? message;
}
